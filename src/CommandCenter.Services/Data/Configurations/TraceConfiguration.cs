using CommandCenter.Services.Traces;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class TaskTraceConfiguration : IEntityTypeConfiguration<TaskTrace>
{
    public void Configure(EntityTypeBuilder<TaskTrace> builder)
    {
        builder.ToTable("task_trace");
        builder.Property(t => t.Id).HasMaxLength(64);
        builder.Property(t => t.Status).HasMaxLength(16);
        builder.Property(t => t.UserAgent).HasMaxLength(512);
        builder.Property(t => t.TotalCost).HasPrecision(18, 6);
        builder.Property(t => t.Attachments).HasColumnType("jsonb").HasConversion(JsonColumn.Of<IReadOnlyList<Files.TracedAttachment>>(), JsonColumn.Comparer<IReadOnlyList<Files.TracedAttachment>>());
        builder.HasMany(t => t.Sessions).WithOne().HasForeignKey(s => s.TaskTraceId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(t => t.CreatedAt);
        builder.HasIndex(t => new { t.OwnerId, t.CreatedAt });
        builder.HasIndex(t => t.Status).HasFilter("\"status\" = 'running'");
    }
}

internal sealed class TraceSessionConfiguration : IEntityTypeConfiguration<TraceSession>
{
    public void Configure(EntityTypeBuilder<TraceSession> builder)
    {
        builder.ToTable("trace_sessions");
        builder.Property(s => s.Id).HasMaxLength(64);
        builder.Property(s => s.Status).HasMaxLength(16);
        builder.Property(s => s.SessionType).HasMaxLength(32);
        builder.Property(s => s.Cost).HasPrecision(18, 6);
        builder.Property(s => s.InputPricePerMTok).HasPrecision(12, 6);
        builder.Property(s => s.CacheWrite5mPricePerMTok).HasPrecision(12, 6);
        builder.Property(s => s.CacheWrite1hPricePerMTok).HasPrecision(12, 6);
        builder.Property(s => s.CacheReadPricePerMTok).HasPrecision(12, 6);
        builder.Property(s => s.OutputPricePerMTok).HasPrecision(12, 6);
        builder.Property(s => s.OwnerId).HasMaxLength(450);
        // "apiKeyId": the column kept its name when integration keys got theirs.
        builder.Property(s => s.IntegrationKeyId).HasMaxLength(64).HasColumnName("apiKeyId");
        builder.Property(s => s.ToolFees).HasPrecision(18, 6);
        builder.Property(s => s.WebSearchPerThousand).HasPrecision(12, 6);
        // The usage report's: a range of days read from the index alone, whoever's and whatever it is grouped by.
        builder.HasIndex(s => s.CreatedAt).IncludeProperties(s => new
        {
            s.OwnerId, s.AgentId, s.ModelUsed, s.IntegrationKeyId, s.Status, s.Cost, s.CostEstimated, s.TokensIn, s.TokensOut, s.CacheWriteTokens, s.CacheWrite1hTokens, s.CacheReadTokens,
            s.WebSearchRequests, s.ToolFees, s.Continued,
            s.InputPricePerMTok, s.CacheWrite5mPricePerMTok, s.CacheWrite1hPricePerMTok, s.CacheReadPricePerMTok, s.OutputPricePerMTok,
        });
    }
}
