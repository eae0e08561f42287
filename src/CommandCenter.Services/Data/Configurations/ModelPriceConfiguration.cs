using CommandCenter.Services.Pricing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class ModelPriceConfiguration : IEntityTypeConfiguration<ModelPrice>
{
    public void Configure(EntityTypeBuilder<ModelPrice> builder)
    {
        builder.ToTable("model_prices");
        builder.Property(p => p.Model).HasMaxLength(100);
        builder.Property(p => p.InputPerMTok).HasPrecision(12, 6);
        builder.Property(p => p.OutputPerMTok).HasPrecision(12, 6);
        builder.Property(p => p.LongContextInputPerMTok).HasPrecision(12, 6);
        builder.Property(p => p.LongContextOutputPerMTok).HasPrecision(12, 6);
        builder.HasIndex(p => new { p.Model, p.EffectiveFrom }).IsUnique();

        // Anthropic's published list (DESIGN §5). Later changes are new rows with a later EffectiveFrom.
        var since = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        builder.HasData(
            new ModelPrice { Id = 1, Model = "claude-opus-4-6", InputPerMTok = 5m, OutputPerMTok = 25m, EffectiveFrom = since },
            new ModelPrice
            {
                Id = 2, Model = "claude-sonnet-4-5", InputPerMTok = 3m, OutputPerMTok = 15m, EffectiveFrom = since,
                LongContextThreshold = 200_000, LongContextInputPerMTok = 6m, LongContextOutputPerMTok = 22.5m,
            },
            new ModelPrice { Id = 3, Model = "claude-haiku-4-5", InputPerMTok = 1m, OutputPerMTok = 5m, EffectiveFrom = since },
            new ModelPrice { Id = 4, Model = "claude-opus-4-1", InputPerMTok = 15m, OutputPerMTok = 75m, EffectiveFrom = since },
            new ModelPrice { Id = 5, Model = "claude-3-5-haiku", InputPerMTok = 0.8m, OutputPerMTok = 4m, EffectiveFrom = since });
    }
}

internal sealed class ToolPriceConfiguration : IEntityTypeConfiguration<ToolPrice>
{
    public void Configure(EntityTypeBuilder<ToolPrice> builder)
    {
        builder.ToTable("tool_prices");
        builder.Property(p => p.Tool).HasMaxLength(100);
        builder.Property(p => p.PerThousandRequests).HasPrecision(12, 6);
        builder.HasIndex(p => new { p.Tool, p.EffectiveFrom }).IsUnique();
        // Anthropic's published fee (DESIGN §5): web search $10 per 1,000 searches; web fetch costs only its tokens.
        builder.HasData(new ToolPrice
        {
            Id = 1, Tool = ToolPrice.WebSearch, PerThousandRequests = 10m, EffectiveFrom = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
        });
    }
}
