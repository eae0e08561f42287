namespace CommandCenter.Services.Pricing;

/// <summary>
/// A per-request fee of one of Anthropic's server tools (web search: $10 per 1,000 searches), from
/// <see cref="EffectiveFrom"/> until a newer row for the tool takes over; each trace records the rate it was charged.
/// </summary>
public sealed class ToolPrice
{
    public const string WebSearch = "web_search";

    public int Id { get; init; }
    public required string Tool { get; init; }
    public decimal PerThousandRequests { get; init; }
    public DateTimeOffset EffectiveFrom { get; init; }
}
