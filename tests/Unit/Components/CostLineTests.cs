using Bunit;
using CommandCenter.Services.Streaming;
using CommandCenter.Web.Chat;

namespace CommandCenter.Unit.Components;

public sealed class CostLineTests : BunitContext
{
    private IRenderedComponent<CostLine> RenderCost(CostEvent cost) => Render<CostLine>(p => p.Add(c => c.Cost, cost));

    private static string[] Parts(IRenderedComponent<CostLine> cut) =>
        [.. cut.FindAll("[data-testid=cost-line] span").Select(s => s.TextContent.Trim())];

    [Fact]
    public void SpecExampleShowsTokensAndSixDecimalDollarsWithoutCacheParts()
    {
        var cut = RenderCost(new CostEvent(45, 12, 0, 0, 0.000315m, 0m, "claude-sonnet-4-5", "end_turn"));

        Parts(cut).ShouldBe(["45 in", "12 out", "$0.000315"]);
        cut.Find("[data-testid=cost]").TextContent.ShouldBe("$0.000315");
        cut.Markup.ShouldNotContain("cache");
        cut.Markup.ShouldNotContain("saved");
    }

    [Fact]
    public void AnEstimatedCostMarksItsOutputAndDollarsAsApproximate()
    {
        var cut = RenderCost(new CostEvent(45, 20, 0, 0, 0.000435m, 0m, "claude-sonnet-4-5", null, CostEstimated: true));

        Parts(cut).ShouldBe(["45 in", "≈20 out", "≈$0.000435"]);
        cut.Find("[data-testid=cost]").GetAttribute("title")!.ShouldContain("Estimated");
    }

    [Fact]
    public void ThinkingShowsAsPartOfOutputAndSearchesWithTheirFeeBeforeTheTotal()
    {
        var cut = RenderCost(new CostEvent(2_000, 300, 0, 0, 0.0205m, 0m, "claude-sonnet-4-5", "end_turn", ServerToolUse: new ServerToolUse(1), ToolFees: 0.01m, ThinkingTokens: 240));

        Parts(cut).ShouldBe(["2,000 in", "300 out", "of which 240 thinking", "1 search $0.010000", "$0.020500"]);
    }

    [Fact]
    public void NoThinkingLineWhenAnthropicReportedNoneOrTheOutputIsEstimated()
    {
        Parts(RenderCost(new CostEvent(45, 12, 0, 0, 0.000315m, 0m, "m", null, ThinkingTokens: 0))).ShouldBe(["45 in", "12 out", "$0.000315"]);
        Parts(RenderCost(new CostEvent(45, 20, 0, 0, 0.000435m, 0m, "m", null, CostEstimated: true, ThinkingTokens: 5))).ShouldBe(["45 in", "≈20 out", "≈$0.000435"]);
    }

    [Fact]
    public void TokenCountsUseThousandsSeparators()
    {
        var cut = RenderCost(new CostEvent(1_250, 1_234_567, 0, 0, 12.5m, 0m, "m", null));

        Parts(cut).ShouldBe(["1,250 in", "1,234,567 out", "$12.500000"]);
    }

    [Fact]
    public void CacheWriteReadAndSavingsAreShownWhenNonZero()
    {
        var cut = RenderCost(new CostEvent(10, 20, 2_048, 4_096, 0.0123456m, 0.001106m, "m", "end_turn"));

        Parts(cut).ShouldBe(["10 in", "2,048 cache write", "4,096 cache read", "20 out", "$0.012346", "saved $0.001106"]);
        cut.Find(".cc-saved").TextContent.ShouldBe("saved $0.001106");
    }

    [Fact]
    public void CacheReadAloneShowsNoCacheWrite()
    {
        var cut = RenderCost(new CostEvent(10, 20, 0, 300, 0.0001m, 0m, "m", null));

        Parts(cut).ShouldBe(["10 in", "300 cache read", "20 out", "$0.000100"]);
        cut.FindAll(".cc-saved").ShouldBeEmpty();
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(999, "999")]
    [InlineData(1_250, "1,250")]
    [InlineData(64_000, "64,000")]
    [InlineData(1_000_000, "1,000,000")]
    public void TokensUsesInvariantThousandsSeparators(int count, string expected) =>
        CostLine.Tokens(count).ShouldBe(expected);

    [Theory]
    [InlineData("0", "$0.00")]
    [InlineData("0.000000", "$0.00")]
    [InlineData("1.5", "$1.500000")]
    [InlineData("0.000315", "$0.000315")]
    [InlineData("1234.5", "$1234.500000")]
    public void DollarsHasSixDecimalsAndZeroIsTwo(string amount, string expected) =>
        CostLine.Dollars(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(expected);

    [Fact]
    public void DollarsIgnoresTheCurrentCulture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            CostLine.Dollars(1.5m).ShouldBe("$1.500000");
            CostLine.Tokens(1_250).ShouldBe("1,250");
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
