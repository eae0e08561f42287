namespace CommandCenter.Services.Pricing;

/// <summary>What each token class of a call cost, in USD, each rounded to 6 decimals.</summary>
public readonly record struct ClassCosts(decimal Input, decimal CacheWrite5m, decimal CacheWrite1h, decimal CacheRead, decimal Output)
{
    public static ClassCosts operator +(ClassCosts a, ClassCosts b) => new(
        a.Input + b.Input, a.CacheWrite5m + b.CacheWrite5m, a.CacheWrite1h + b.CacheWrite1h, a.CacheRead + b.CacheRead, a.Output + b.Output);
}

/// <summary>The cost of one call, in USD: <see cref="TotalCost"/> includes <see cref="ToolFees"/>.</summary>
public readonly record struct CostBreakdown(decimal TotalCost, decimal CacheSavings, decimal ToolFees = 0m, ClassCosts Classes = default)
{
    /// <summary>Two calls' costs together: each was rounded on its own, as each is recorded.</summary>
    public static CostBreakdown operator +(CostBreakdown a, CostBreakdown b) =>
        new(a.TotalCost + b.TotalCost, a.CacheSavings + b.CacheSavings, a.ToolFees + b.ToolFees, a.Classes + b.Classes);
}

public static class CostCalculator
{
    private const decimal PerMillion = 1_000_000m;

    /// <summary>
    /// Each token class at its own rate; the total rounded to 6 decimals (half away from zero), and what cache reads saved
    /// against the same tokens as plain input.
    /// </summary>
    public static CostBreakdown Compute(TokenUsage usage, TokenRates rates)
    {
        var input = usage.InputTokens * rates.Input;
        var write5m = usage.CacheWrite5mTokens * rates.CacheWrite5m;
        var write1h = usage.CacheWrite1hTokens * rates.CacheWrite1h;
        var read = usage.CacheReadTokens * rates.CacheRead;
        var output = usage.OutputTokens * rates.Output;
        var total = (input + write5m + write1h + read + output) / PerMillion;
        var savings = usage.CacheReadTokens * (rates.Input - rates.CacheRead) / PerMillion;
        var classes = new ClassCosts(Round(input / PerMillion), Round(write5m / PerMillion), Round(write1h / PerMillion), Round(read / PerMillion), Round(output / PerMillion));
        return new(Round(total), Round(savings), 0m, classes);
    }

    /// <summary>
    /// At the price row's rates (its prompt-length tier's when the request's prompt is above the tier's threshold), plus
    /// web searches at <paramref name="webSearchPerThousand"/> dollars per 1,000.
    /// </summary>
    public static CostBreakdown Compute(TokenUsage usage, ModelPrice price, decimal webSearchPerThousand = 0m)
    {
        var tokens = Compute(usage, price.RatesFor(usage));
        var fees = Round(usage.WebSearchRequests * webSearchPerThousand / 1000m);
        return tokens with { TotalCost = Round(tokens.TotalCost + fees), ToolFees = fees };
    }

    // Dividing by 1.000…m drops trailing zeros, so 0.000315 serializes as written and not as 0.0003150000.
    internal static decimal Round(decimal value) => decimal.Round(value, 6, MidpointRounding.AwayFromZero) / 1.000000000000000000000000000000000m;
}
