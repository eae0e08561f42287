namespace CommandCenter.Services.Pricing;

/// <summary>USD per million tokens for one model from <see cref="EffectiveFrom"/> until a newer row for the model takes over.</summary>
public sealed class ModelPrice
{
    public int Id { get; init; }
    public required string Model { get; init; }
    public decimal InputPerMTok { get; init; }
    public decimal OutputPerMTok { get; init; }
    public int ContextWindow { get; init; } = 200_000;
    public DateTimeOffset EffectiveFrom { get; init; }

    /// <summary>
    /// The long-context tier: a request whose input (plain, cache writes and cache reads) is above this many tokens is
    /// billed at the tier's rates for the whole request. Null when the model has no tier.
    /// </summary>
    public int? LongContextThreshold { get; init; }
    public decimal? LongContextInputPerMTok { get; init; }
    public decimal? LongContextOutputPerMTok { get; init; }

    /// <summary>The input and output rates a request with <paramref name="usage"/> is billed at.</summary>
    public (decimal InputPerMTok, decimal OutputPerMTok) RatesFor(TokenUsage usage) =>
        LongContextThreshold is { } threshold && usage.InputTokens + usage.CacheWriteTokens + usage.CacheReadTokens > threshold
            ? (LongContextInputPerMTok ?? InputPerMTok, LongContextOutputPerMTok ?? OutputPerMTok)
            : (InputPerMTok, OutputPerMTok);
}
