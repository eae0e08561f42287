using CommandCenter.Services.ApiKeys;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class AnthropicApiKeyConfiguration : IEntityTypeConfiguration<AnthropicApiKey>
{
    public void Configure(EntityTypeBuilder<AnthropicApiKey> builder)
    {
        builder.ToTable("anthropic_api_keys");
        builder.HasKey(k => k.UserId);
        builder.Property(k => k.Last4).HasMaxLength(4);
        builder.HasOne<ApplicationUser>().WithOne().HasForeignKey<AnthropicApiKey>(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
