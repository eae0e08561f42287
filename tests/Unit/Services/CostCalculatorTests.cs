using System.Globalization;
using System.Text.Json;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Data.Configurations;
using CommandCenter.Services.Pricing;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Unit.Services;

public sealed class CostCalculatorTests
{
    /// <summary>A 2025 model's rates: then writes cost 1.25× and 2× input and reads 0.1×, as the first seed rows say.</summary>
    internal static TokenRates Rates(decimal input, decimal output) => new(input, input * 1.25m, input * 2m, input * 0.1m, output);

    internal static ModelPrice Price(string model, decimal input, decimal output) => new()
    {
        Model = model, InputPerMTok = input, CacheWrite5mPerMTok = input * 1.25m, CacheWrite1hPerMTok = input * 2m, CacheReadPerMTok = input * 0.1m, OutputPerMTok = output,
    };

    /// <summary>DESIGN §5's default prices, USD per million tokens.</summary>
    private static readonly (string Model, decimal Input, decimal Output)[] DesignPrices =
    [
        ("claude-opus-4-6", 5m, 25m),
        ("claude-sonnet-4-5", 3m, 15m),
        ("claude-haiku-4-5", 1m, 5m),
        ("claude-opus-4-1", 15m, 75m),
        ("claude-3-5-haiku", 0.8m, 4m),
    ];

    public static TheoryData<string, decimal, decimal> DefaultPrices
    {
        get
        {
            var data = new TheoryData<string, decimal, decimal>();
            foreach (var (model, input, output) in DesignPrices)
            {
                data.Add(model, input, output);
            }

            return data;
        }
    }

    /// <summary>1,234 input + 567 output tokens on each default model, worked out by hand.</summary>
    public static TheoryData<string, decimal, decimal, decimal> HandWorkedCosts => new()
    {
        { "claude-opus-4-6", 5m, 25m, 0.020345m },    // 6,170 + 14,175 = 20,345
        { "claude-sonnet-4-5", 3m, 15m, 0.012207m },  // 3,702 + 8,505 = 12,207
        { "claude-haiku-4-5", 1m, 5m, 0.004069m },    // 1,234 + 2,835 = 4,069
        { "claude-opus-4-1", 15m, 75m, 0.061035m },   // 18,510 + 42,525 = 61,035
        { "claude-3-5-haiku", 0.8m, 4m, 0.003255m },  // 987.2 + 2,268 = 3,255.2 → 0.0032552 → 0.003255
    };

    [Fact]
    public void SpecWorkedExampleIsExact()
    {
        var cost = CostCalculator.Compute(new TokenUsage(InputTokens: 45, OutputTokens: 12), Rates(3m, 15m));

        cost.TotalCost.ShouldBe(0.000315m);
        cost.TotalCost.ToString(CultureInfo.InvariantCulture).ShouldBe("0.000315");
        cost.TotalCost.ToString().ShouldBe(0.000315m.ToString());
        JsonSerializer.Serialize(cost.TotalCost).ShouldBe("0.000315");
        cost.CacheSavings.ShouldBe(0m);
    }

    [Fact]
    public void SpecWorkedExampleWithTheModelPriceOverload()
    {
        var price = Price("claude-sonnet-4-5", 3m, 15m);

        CostCalculator.Compute(new TokenUsage(45, 12), price).TotalCost.ShouldBe(0.000315m);
    }

    [Theory]
    [MemberData(nameof(DefaultPrices))]
    public void AMillionInAndAMillionOutCostsTheInputPlusTheOutputPrice(string model, decimal input, decimal output)
    {
        var cost = CostCalculator.Compute(new TokenUsage(1_000_000, 1_000_000), Rates(input, output));

        cost.TotalCost.ShouldBe(input + output, model);
        cost.TotalCost.ToString(CultureInfo.InvariantCulture).ShouldBe((input + output).ToString(CultureInfo.InvariantCulture), model);
    }

    [Theory]
    [MemberData(nameof(HandWorkedCosts))]
    public void OrdinaryUsageOnEachDefaultModel(string model, decimal input, decimal output, decimal expected)
    {
        CostCalculator.Compute(new TokenUsage(1_234, 567), Rates(input, output)).TotalCost.ShouldBe(expected, model);
    }

    [Fact]
    public void TheFirstSeedRowsAreTheDesignPriceTableWithTheirThenMultiples()
    {
        var builder = new ModelBuilder();
        new ModelPriceConfiguration().Configure(builder.Entity<ModelPrice>());

        var seeded = builder.Model.FindEntityType(typeof(ModelPrice)).ShouldNotBeNull().GetSeedData()
            .Select(row => ((string)row[nameof(ModelPrice.Model)]!, (decimal)row[nameof(ModelPrice.InputPerMTok)]!, (decimal)row[nameof(ModelPrice.OutputPerMTok)]!))
            .OrderBy(p => p.Item1, StringComparer.Ordinal)
            .ToArray();

        seeded.ShouldBe(DesignPrices.OrderBy(p => p.Model, StringComparer.Ordinal).ToArray());
        foreach (var row in builder.Model.FindEntityType(typeof(ModelPrice))!.GetSeedData())
        {
            var input = (decimal)row[nameof(ModelPrice.InputPerMTok)]!;
            ((decimal)row[nameof(ModelPrice.CacheWrite5mPerMTok)]!, (decimal)row[nameof(ModelPrice.CacheWrite1hPerMTok)]!, (decimal)row[nameof(ModelPrice.CacheReadPerMTok)]!)
                .ShouldBe((input * 1.25m, input * 2m, input * 0.1m), (string)row[nameof(ModelPrice.Model)]!);
        }
    }

    [Fact]
    public void CacheWritesAndReadsArePricedAtTheirOwnRates()
    {
        // Sonnet 4.5's row, $3 input: 1,000 tokens of each kind.
        CostCalculator.Compute(new TokenUsage(0, 0, CacheWrite5mTokens: 1_000), Rates(3m, 15m)).TotalCost.ShouldBe(0.00375m);  // 1.25 × 0.003
        CostCalculator.Compute(new TokenUsage(0, 0, CacheWrite1hTokens: 1_000), Rates(3m, 15m)).TotalCost.ShouldBe(0.006m);    // 2 × 0.003
        CostCalculator.Compute(new TokenUsage(0, 0, CacheReadTokens: 1_000), Rates(3m, 15m)).TotalCost.ShouldBe(0.0003m);      // 0.1 × 0.003
        CostCalculator.Compute(new TokenUsage(1_000, 0), Rates(3m, 15m)).TotalCost.ShouldBe(0.003m);
    }

    [Fact]
    public void EveryKindOfTokenAddsUp()
    {
        var usage = new TokenUsage(InputTokens: 100, OutputTokens: 500, CacheWrite5mTokens: 1_000, CacheWrite1hTokens: 2_000, CacheReadTokens: 3_000);

        var cost = CostCalculator.Compute(usage, Rates(3m, 15m));

        // 300 + 3,750 + 12,000 + 900 + 7,500 = 24,450 per million
        cost.TotalCost.ShouldBe(0.02445m);
        cost.CacheSavings.ShouldBe(0.0081m); // 3,000 × 3 × 0.9
    }

    [Fact]
    public void CacheSavingsAreWhatCacheReadsSavedAgainstPlainInput()
    {
        var plain = CostCalculator.Compute(new TokenUsage(10_000, 0), Rates(5m, 25m)).TotalCost;
        var cached = CostCalculator.Compute(new TokenUsage(0, 0, CacheReadTokens: 10_000), Rates(5m, 25m));

        cached.CacheSavings.ShouldBe(0.045m);
        (cached.TotalCost + cached.CacheSavings).ShouldBe(plain);
    }

    [Fact]
    public void CacheWritesSaveNothing()
    {
        CostCalculator.Compute(new TokenUsage(10, 10, CacheWrite5mTokens: 5_000, CacheWrite1hTokens: 5_000), Rates(3m, 15m)).CacheSavings.ShouldBe(0m);
    }

    [Theory]
    [InlineData(1, "0.000001")]  // 0.0000005: half away from zero, where banker's rounding would give 0
    [InlineData(3, "0.000002")]  // 0.0000015
    [InlineData(5, "0.000003")]  // 0.0000025: away from zero, where banker's rounding would give 0.000002
    [InlineData(7, "0.000004")]  // 0.0000035
    [InlineData(2, "0.000001")]  // 0.000001 exactly
    public void RoundsToSixDecimalsHalfAwayFromZero(int inputTokens, string expected)
    {
        var cost = CostCalculator.Compute(new TokenUsage(inputTokens, 0), Rates(0.5m, 0m));

        cost.TotalCost.ToString(CultureInfo.InvariantCulture).ShouldBe(expected);
    }

    [Fact]
    public void OutputAndSavingsRoundTheSameWay()
    {
        CostCalculator.Compute(new TokenUsage(0, 1), Rates(0m, 0.5m)).TotalCost.ShouldBe(0.000001m);
        CostCalculator.Compute(new TokenUsage(0, 1), Rates(0m, 0.4m)).TotalCost.ShouldBe(0m);
        // 1 cache-read token at $5: savings 4.5 per million → 0.0000045 → 0.000005.
        CostCalculator.Compute(new TokenUsage(0, 0, CacheReadTokens: 1), Rates(5m, 25m)).CacheSavings.ShouldBe(0.000005m);
    }

    [Fact]
    public void RoundingAppliesToTheTotalNotToEachPart()
    {
        // Two parts of 0.0000004 each: rounded separately they would be 0; the total 0.0000008 rounds to 0.000001.
        CostCalculator.Compute(new TokenUsage(1, 1), Rates(0.4m, 0.4m)).TotalCost.ShouldBe(0.000001m);
    }

    [Fact]
    public void TrailingZerosAreDropped()
    {
        CostCalculator.Compute(new TokenUsage(1_000_000, 0), Rates(3m, 15m)).TotalCost.ToString(CultureInfo.InvariantCulture).ShouldBe("3");
        CostCalculator.Compute(new TokenUsage(100_000, 0), Rates(3m, 15m)).TotalCost.ToString(CultureInfo.InvariantCulture).ShouldBe("0.3");
        CostCalculator.Compute(new TokenUsage(0, 0, CacheWrite5mTokens: 1_000), Rates(3m, 15m)).TotalCost.ToString(CultureInfo.InvariantCulture).ShouldBe("0.00375");
        CostCalculator.Compute(new TokenUsage(0, 0, CacheReadTokens: 1_000), Rates(3m, 15m)).CacheSavings.ToString(CultureInfo.InvariantCulture).ShouldBe("0.0027");
    }

    [Fact]
    public void ZeroUsageCostsZero()
    {
        var cost = CostCalculator.Compute(default, Rates(15m, 75m));

        cost.TotalCost.ShouldBe(0m);
        cost.CacheSavings.ShouldBe(0m);
        cost.TotalCost.ToString(CultureInfo.InvariantCulture).ShouldBe("0");
        JsonSerializer.Serialize(cost.TotalCost).ShouldBe("0");
    }

    [Fact]
    public void FreeModelCostsZero()
    {
        CostCalculator.Compute(new TokenUsage(1_000, 1_000, 1_000, 1_000, 1_000), Rates(0m, 0m)).ShouldBe(new CostBreakdown(0m, 0m));
        CostCalculator.Compute(new TokenUsage(1_000, 1_000, 1_000, 1_000, 1_000), Rates(0m, 0m)).Classes.ShouldBe(default);
    }

    [Fact]
    public void LargestTokenCountsDoNotOverflow()
    {
        var cost = CostCalculator.Compute(new TokenUsage(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue), Rates(15m, 75m));

        // 2,147,483,647 × (15 + 18.75 + 30 + 1.5 + 75) / 1e6 = 301,184.58149175
        cost.TotalCost.ShouldBe(301_184.581492m);
    }

    private static readonly ModelPrice Sonnet = new()
    {
        Model = "claude-sonnet-4-5", InputPerMTok = 3m, CacheWrite5mPerMTok = 3.75m, CacheWrite1hPerMTok = 6m, CacheReadPerMTok = 0.3m, OutputPerMTok = 15m,
        TierThreshold = 200_000, TierInputPerMTok = 6m, TierCacheWrite5mPerMTok = 7.5m, TierCacheWrite1hPerMTok = 12m, TierCacheReadPerMTok = 0.6m,
        TierOutputPerMTok = 22.5m,
    };

    [Fact]
    public void AtTheThresholdTheBaseRatesApply()
    {
        // 200,000 input tokens is not above the threshold: $3 / $15.
        CostCalculator.Compute(new TokenUsage(200_000, 1_000), Sonnet).TotalCost.ShouldBe(0.615m);
    }

    [Fact]
    public void AboveTheThresholdTheTierRatesApplyToTheWholeRequest()
    {
        // 200,001 × $6 + 1,000 × $22.50, per million.
        CostCalculator.Compute(new TokenUsage(200_001, 1_000), Sonnet).TotalCost.ShouldBe(1.222506m);
    }

    [Fact]
    public void CacheWritesAndReadsCountTowardsTheThresholdAndArePricedOffTheTierRate()
    {
        var usage = new TokenUsage(1_000, 100, CacheWrite5mTokens: 50_000, CacheWrite1hTokens: 10_000, CacheReadTokens: 140_000);

        Sonnet.RatesFor(usage).ShouldBe(new TokenRates(6m, 7.5m, 12m, 0.6m, 22.5m));
        // 1,000 × 6 + 50,000 × 7.5 + 10,000 × 12 + 140,000 × 0.6 + 100 × 22.5 = 587,250 → $0.58725; reads saved 140,000 × 5.4.
        var cost = CostCalculator.Compute(usage, Sonnet);
        (cost.TotalCost, cost.CacheSavings).ShouldBe((0.58725m, 0.756m));
    }
}

public sealed class WebSearchFeeTests
{
    [Fact]
    public void WebSearchesAreBilledPerRequestOnTopOfTheTokensAndReportedApart()
    {
        var price = CostCalculatorTests.Price("claude-sonnet-4-5", 3m, 15m);

        var cost = CostCalculator.Compute(new TokenUsage(45, 12, WebSearchRequests: 3), price, webSearchPerThousand: 10m);

        // $0.000315 of tokens + 3 × $0.01.
        cost.ToolFees.ShouldBe(0.03m);
        cost.TotalCost.ShouldBe(0.030315m);
    }

    [Fact]
    public void ThePromptLengthTierAppliesToTheTokensAndNotToTheSearchFee()
    {
        var price = new ModelPrice
        {
            Model = "claude-sonnet-4-5", InputPerMTok = 3m, CacheWrite5mPerMTok = 3.75m, CacheWrite1hPerMTok = 6m, CacheReadPerMTok = 0.3m, OutputPerMTok = 15m,
            TierThreshold = 200_000, TierInputPerMTok = 6m, TierCacheWrite5mPerMTok = 7.5m, TierCacheWrite1hPerMTok = 12m, TierCacheReadPerMTok = 0.6m, TierOutputPerMTok = 22.5m,
        };

        var cost = CostCalculator.Compute(new TokenUsage(210_000, 1_000, WebSearchRequests: 2), price, webSearchPerThousand: 10m);

        // 210,000 × $6 + 1,000 × $22.50 per million = $1.2825, + 2 searches × $0.01.
        cost.TotalCost.ShouldBe(1.3025m);
        cost.ToolFees.ShouldBe(0.02m);
    }

    [Fact]
    public void ServerToolUseInMessageDeltaReplacesTheEarlierCount()
    {
        var started = default(TokenUsage).Apply(new WireUsage { InputTokens = 45, OutputTokens = 1 });
        var ended = started.Apply(new WireUsage
        {
            OutputTokens = 12, ServerToolUse = new WireServerToolUse { WebSearchRequests = 2 },
        });
        var later = ended.Apply(new WireUsage { OutputTokens = 14 });

        ended.ShouldBe(new TokenUsage(45, 12, WebSearchRequests: 2));
        later.WebSearchRequests.ShouldBe(2, "a delta that leaves the count out keeps it");
    }
}
