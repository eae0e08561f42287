using CommandCenter.Services.Agents;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class AgentConfiguration : IEntityTypeConfiguration<Agent>
{
    public void Configure(EntityTypeBuilder<Agent> builder)
    {
        builder.ToTable("agents");
        builder.Property(a => a.Id).HasMaxLength(64);
        builder.Property(a => a.Name).HasMaxLength(AgentInput.MaxNameLength);
        builder.Property(a => a.Description).HasMaxLength(AgentInput.MaxDescriptionLength);
        builder.Property(a => a.Model).HasMaxLength(100);
        builder.Property(a => a.SystemPrompt).HasMaxLength(AgentInput.MaxSystemPromptLength);
        builder.Property(a => a.Status).HasMaxLength(16);
        builder.Ignore(a => a.IsActive);
        builder.Property(a => a.Thinking).HasColumnName("thinking").HasColumnType("jsonb").HasConversion(JsonColumn.Of<ThinkingSettings>());
        builder.Property(a => a.WebSearch).HasColumnName("webSearch").HasColumnType("jsonb").HasConversion(JsonColumn.Of<WebSearchSettings>());
        builder.Property(a => a.WebFetch).HasColumnName("webFetch").HasColumnType("jsonb").HasConversion(JsonColumn.Of<WebFetchSettings>());
        builder.HasIndex(a => a.Name).IsUnique();
    }
}
