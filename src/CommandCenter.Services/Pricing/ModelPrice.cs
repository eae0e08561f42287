namespace CommandCenter.Services.Pricing;

/// <summary>
/// USD per million tokens for one model, each token class at its own rate, from <see cref="EffectiveFrom"/> until a newer
/// row for the model takes over; optionally with a prompt-length tier.
/// </summary>
public sealed class ModelPrice
{
    public int Id { get; init; }
    public required string Model { get; init; }
    public decimal InputPerMTok { get; init; }
    public decimal CacheWrite5mPerMTok { get; init; }
    public decimal CacheWrite1hPerMTok { get; init; }
    public decimal CacheReadPerMTok { get; init; }
    public decimal OutputPerMTok { get; init; }
    /// <summary>The context window used to trim history when the model catalogue does not know the model.</summary>
    public int ContextWindow { get; init; } = 200_000;
    public DateTimeOffset EffectiveFrom { get; init; }

    /// <summary>
    /// The prompt-length tier: a request whose prompt (input, cache writes and cache reads) is above this many tokens is
    /// billed at the tier's five rates for every token of the request, output included. Null when the model has none.
    /// </summary>
    public int? TierThreshold { get; init; }
    public decimal? TierInputPerMTok { get; init; }
    public decimal? TierCacheWrite5mPerMTok { get; init; }
    public decimal? TierCacheWrite1hPerMTok { get; init; }
    public decimal? TierCacheReadPerMTok { get; init; }
    public decimal? TierOutputPerMTok { get; init; }

    public TokenRates Rates => new(InputPerMTok, CacheWrite5mPerMTok, CacheWrite1hPerMTok, CacheReadPerMTok, OutputPerMTok);

    /// <summary>The tier's rates; null when the row has no tier.</summary>
    public TokenRates? TierRates => TierThreshold is null ? null : new(
        TierInputPerMTok ?? InputPerMTok, TierCacheWrite5mPerMTok ?? CacheWrite5mPerMTok, TierCacheWrite1hPerMTok ?? CacheWrite1hPerMTok,
        TierCacheReadPerMTok ?? CacheReadPerMTok, TierOutputPerMTok ?? OutputPerMTok);

    /// <summary>The request's prompt is above the tier's threshold (exactly at it stays on the base rates).</summary>
    public bool TierAppliesTo(TokenUsage usage) =>
        TierThreshold is { } threshold && usage.InputTokens + usage.CacheWriteTokens + usage.CacheReadTokens > threshold;

    /// <summary>The rates a request with <paramref name="usage"/> is billed at.</summary>
    public TokenRates RatesFor(TokenUsage usage) => TierAppliesTo(usage) ? TierRates!.Value : Rates;
}
