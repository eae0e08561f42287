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
        foreach (var rate in (string[])[
            nameof(ModelPrice.InputPerMTok), nameof(ModelPrice.CacheWrite5mPerMTok), nameof(ModelPrice.CacheWrite1hPerMTok), nameof(ModelPrice.CacheReadPerMTok),
            nameof(ModelPrice.OutputPerMTok), nameof(ModelPrice.TierInputPerMTok), nameof(ModelPrice.TierCacheWrite5mPerMTok),
            nameof(ModelPrice.TierCacheWrite1hPerMTok), nameof(ModelPrice.TierCacheReadPerMTok), nameof(ModelPrice.TierOutputPerMTok)])
        {
            builder.Property(rate).HasPrecision(12, 6);
        }

        builder.Ignore(p => p.Rates);
        builder.Ignore(p => p.TierRates);
        builder.HasIndex(p => new { p.Model, p.EffectiveFrom }).IsUnique();

        // The first install's list (2025). Its rates were then Anthropic's fixed multiples of input (writes 1.25× and 2×,
        // reads 0.1×), which for these models they still are. Today's models and prices are added by the migration
        // TodaysClaude (not here: an existing install's own rows may already hold the ids that would come next).
        var since = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        builder.HasData(
            Row(1, "claude-opus-4-6", 5m, 25m, since),
            Row(2, "claude-sonnet-4-5", 3m, 15m, since, tierThreshold: 200_000, tierInput: 6m, tierOutput: 22.5m),
            Row(3, "claude-haiku-4-5", 1m, 5m, since),
            Row(4, "claude-opus-4-1", 15m, 75m, since),
            Row(5, "claude-3-5-haiku", 0.8m, 4m, since));
    }

    private static ModelPrice Row(int id, string model, decimal input, decimal output, DateTimeOffset from, int? tierThreshold = null, decimal tierInput = 0m, decimal tierOutput = 0m) => new()
    {
        Id = id, Model = model, EffectiveFrom = from,
        InputPerMTok = input, CacheWrite5mPerMTok = input * 1.25m, CacheWrite1hPerMTok = input * 2m, CacheReadPerMTok = input * 0.1m, OutputPerMTok = output,
        TierThreshold = tierThreshold,
        TierInputPerMTok = tierThreshold is null ? null : tierInput,
        TierCacheWrite5mPerMTok = tierThreshold is null ? null : tierInput * 1.25m,
        TierCacheWrite1hPerMTok = tierThreshold is null ? null : tierInput * 2m,
        TierCacheReadPerMTok = tierThreshold is null ? null : tierInput * 0.1m,
        TierOutputPerMTok = tierThreshold is null ? null : tierOutput,
    };
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
