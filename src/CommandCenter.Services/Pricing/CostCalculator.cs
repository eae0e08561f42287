namespace CommandCenter.Services.Pricing;

/// <summary>The cost of one call, in USD: <see cref="TotalCost"/> includes <see cref="ToolFees"/>.</summary>
public readonly record struct CostBreakdown(decimal TotalCost, decimal CacheSavings, decimal ToolFees = 0m)
{
    /// <summary>Two calls' costs together: each was rounded on its own, as each is recorded.</summary>
    public static CostBreakdown operator +(CostBreakdown a, CostBreakdown b) =>
        new(a.TotalCost + b.TotalCost, a.CacheSavings + b.CacheSavings, a.ToolFees + b.ToolFees);
}

public static class CostCalculator
{
    // Anthropic's cache multipliers on the base input price.
    public const decimal CacheWrite5mMultiplier = 1.25m;
    public const decimal CacheWrite1hMultiplier = 2m;
    public const decimal CacheReadMultiplier = 0.1m;

    private const decimal PerMillion = 1_000_000m;

    /// <summary>Total cost rounded to 6 decimals (half away from zero), and what cache reads saved against plain input.</summary>
    public static CostBreakdown Compute(TokenUsage usage, decimal inputPerMTok, decimal outputPerMTok)
    {
        var input = usage.InputTokens * inputPerMTok
            + usage.CacheWrite5mTokens * inputPerMTok * CacheWrite5mMultiplier
            + usage.CacheWrite1hTokens * inputPerMTok * CacheWrite1hMultiplier
            + usage.CacheReadTokens * inputPerMTok * CacheReadMultiplier;
        var total = (input + usage.OutputTokens * outputPerMTok) / PerMillion;
        var savings = usage.CacheReadTokens * inputPerMTok * (1 - CacheReadMultiplier) / PerMillion;
        return new(Round(total), Round(savings));
    }

    /// <summary>
    /// At the price row's rates (its long-context tier's when the request's input is above the tier's threshold), plus
    /// web searches at <paramref name="webSearchPerThousand"/> dollars per 1,000.
    /// </summary>
    public static CostBreakdown Compute(TokenUsage usage, ModelPrice price, decimal webSearchPerThousand = 0m)
    {
        var (input, output) = price.RatesFor(usage);
        var tokens = Compute(usage, input, output);
        var fees = Round(usage.WebSearchRequests * webSearchPerThousand / 1000m);
        return tokens with { TotalCost = Round(tokens.TotalCost + fees), ToolFees = fees };
    }

    // Dividing by 1.000…m drops trailing zeros, so 0.000315 serializes as written and not as 0.0003150000.
    private static decimal Round(decimal value) => decimal.Round(value, 6, MidpointRounding.AwayFromZero) / 1.000000000000000000000000000000000m;
}
