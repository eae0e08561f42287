using CommandCenter.Services.Pricing;

namespace CommandCenter.Unit.Services;

/// <summary>
/// Each current model's five rates as ../shared/ANTHROPIC.md §1b gives them (source O1), priced class by class: no rate
/// is a multiple of another.
/// </summary>
public sealed class TodaysPricesTests
{
    private static ModelPrice Row(string model, decimal input, decimal write5m, decimal write1h, decimal read, decimal output) => new()
    {
        Model = model, InputPerMTok = input, CacheWrite5mPerMTok = write5m, CacheWrite1hPerMTok = write1h, CacheReadPerMTok = read, OutputPerMTok = output,
    };

    private static readonly ModelPrice[] Today =
    [
        Row("claude-fable-5-2", 8m, 10m, 16m, 0.20m, 40m),
        Row("claude-mythos-5-2", 8m, 10m, 16m, 0.20m, 40m),
        Row("claude-fable-5-1", 10m, 12.50m, 20m, 0.25m, 50m),
        Row("claude-fable-5", 10m, 12.50m, 20m, 1m, 50m),
        Row("claude-opus-5-5", 4m, 5m, 8m, 0.20m, 20m),
        Row("claude-opus-5", 5m, 6.25m, 10m, 0.50m, 25m),
        Row("claude-opus-4-8", 5m, 6.25m, 10m, 0.50m, 25m),
        Row("claude-sonnet-5-5", 2m, 2.50m, 4m, 0.10m, 10m),
        Row("claude-sonnet-5", 2m, 2.50m, 4m, 0.20m, 10m),
        Row("claude-sonnet-4-6", 3m, 3.75m, 6m, 0.30m, 15m),
        Row("claude-haiku-4-5", 1m, 1.25m, 2m, 0.10m, 5m),
    ];

    private static readonly ModelPrice Haiku55 = new()
    {
        Model = "claude-haiku-5-5", InputPerMTok = 0.10m, CacheWrite5mPerMTok = 0.125m, CacheWrite1hPerMTok = 0.20m, CacheReadPerMTok = 0.01m, OutputPerMTok = 0.50m,
        TierThreshold = 100_000, TierInputPerMTok = 0.50m, TierCacheWrite5mPerMTok = 0.625m, TierCacheWrite1hPerMTok = 1m, TierCacheReadPerMTok = 0.05m,
        TierOutputPerMTok = 2.50m,
    };

    public static TheoryData<string> Models => [.. Today.Select(p => p.Model)];

    [Theory]
    [MemberData(nameof(Models))]
    public void AMillionTokensOfEachClassCostExactlyThatClassesRate(string model)
    {
        var price = Today.Single(p => p.Model == model);

        CostCalculator.Compute(new TokenUsage(1_000_000, 0), price).TotalCost.ShouldBe(price.InputPerMTok);
        CostCalculator.Compute(new TokenUsage(0, 0, CacheWrite5mTokens: 1_000_000), price).TotalCost.ShouldBe(price.CacheWrite5mPerMTok);
        CostCalculator.Compute(new TokenUsage(0, 0, CacheWrite1hTokens: 1_000_000), price).TotalCost.ShouldBe(price.CacheWrite1hPerMTok);
        CostCalculator.Compute(new TokenUsage(0, 0, CacheReadTokens: 1_000_000), price).TotalCost.ShouldBe(price.CacheReadPerMTok);
        CostCalculator.Compute(new TokenUsage(0, 1_000_000), price).TotalCost.ShouldBe(price.OutputPerMTok);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void EachClassIsReportedApartAndTheClassesAddUpToTheTotal(string model)
    {
        var price = Today.Single(p => p.Model == model);
        var usage = new TokenUsage(10_000, 2_000, CacheWrite5mTokens: 30_000, CacheWrite1hTokens: 40_000, CacheReadTokens: 500_000);

        var cost = CostCalculator.Compute(usage, price);

        cost.Classes.ShouldBe(new ClassCosts(
            10_000 * price.InputPerMTok / 1_000_000m, 30_000 * price.CacheWrite5mPerMTok / 1_000_000m, 40_000 * price.CacheWrite1hPerMTok / 1_000_000m,
            500_000 * price.CacheReadPerMTok / 1_000_000m, 2_000 * price.OutputPerMTok / 1_000_000m));
        (cost.Classes.Input + cost.Classes.CacheWrite5m + cost.Classes.CacheWrite1h + cost.Classes.CacheRead + cost.Classes.Output).ShouldBe(cost.TotalCost);
        cost.CacheSavings.ShouldBe(500_000 * (price.InputPerMTok - price.CacheReadPerMTok) / 1_000_000m);
    }

    [Fact]
    public void OnOpus55AHundredThousandCacheReadTokensCostTwoCentsNotFour()
    {
        var opus = Today.Single(p => p.Model == "claude-opus-5-5");

        // 0.05× input: $0.20 per million, where a fixed 0.1× would have charged $0.40.
        CostCalculator.Compute(new TokenUsage(0, 0, CacheReadTokens: 100_000), opus).TotalCost.ShouldBe(0.02m);
    }

    [Fact]
    public void Fable51CacheReadsAreAFortiethOfInput()
    {
        var fable = Today.Single(p => p.Model == "claude-fable-5-1");

        CostCalculator.Compute(new TokenUsage(0, 0, CacheReadTokens: 400_000), fable).TotalCost.ShouldBe(0.1m); // 400,000 × $0.25 / M
    }

    [Fact]
    public void AHaiku55RequestWithA250000TokenPromptPaysTheHigherCardForEveryToken()
    {
        // 250,000 × $0.50 + 1,000 × $2.50 per million = $0.125 + $0.0025.
        CostCalculator.Compute(new TokenUsage(250_000, 1_000), Haiku55).TotalCost.ShouldBe(0.1275m);
    }

    [Fact]
    public void AHaiku55PromptOfExactly100000TokensStaysOnTheLowerCard()
    {
        var usage = new TokenUsage(100_000, 1_000);

        Haiku55.TierAppliesTo(usage).ShouldBeFalse();
        CostCalculator.Compute(usage, Haiku55).TotalCost.ShouldBe(0.0105m); // 100,000 × $0.10 + 1,000 × $0.50
    }

    [Fact]
    public void CacheReadsAndWritesCountTowardsHaiku55sThresholdAndArePricedAtTheTiersOwnRates()
    {
        // 10,000 input + 20,000 written + 80,000 read = 110,000: above 100,000.
        var usage = new TokenUsage(10_000, 2_000, CacheWrite5mTokens: 20_000, CacheReadTokens: 80_000);

        Haiku55.TierAppliesTo(usage).ShouldBeTrue();
        // 10,000 × 0.50 + 20,000 × 0.625 + 80,000 × 0.05 + 2,000 × 2.50 = 26,500 per million.
        CostCalculator.Compute(usage, Haiku55).TotalCost.ShouldBe(0.0265m);
    }
}
