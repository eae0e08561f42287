using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Data.Configurations;
using CommandCenter.Services.Models;

namespace CommandCenter.Unit.Services;

/// <summary>Agents against what their model accepts, with the seeded catalogue (../shared/ANTHROPIC.md §2–3).</summary>
public sealed class AgentModelRulesTests
{
    private static readonly DateTimeOffset Today = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    private static ClaudeModel Model(string id) => ClaudeModelConfiguration.Seed.Single(m => m.Id == id);

    private static AgentInput Agent(string model, ThinkingSettings? thinking = null, int maxTokens = 4_096, string status = AgentStatus.Active) =>
        new("Helper", "", model, "", maxTokens, status, thinking);

    private static Dictionary<string, string> Refusals(AgentInput input) =>
        AgentModelRules.Check(input, Model(input.Model!), Today).ToDictionary(r => r.MemberNames.Single(), r => r.ErrorMessage!);

    [Theory]
    [InlineData("claude-opus-5-5")]
    [InlineData("claude-sonnet-5-5")]
    [InlineData("claude-fable-5-2")]
    [InlineData("claude-fable-5-1")]
    [InlineData("claude-mythos-5-2")]
    public void ThinkingCannotBeOffOnAModelThatAlwaysThinks(string model)
    {
        Refusals(Agent(model, new ThinkingSettings(ThinkingMode.Off)))["thinking.mode"].ShouldContain("always thinks: thinking cannot be off");
    }

    [Fact]
    public void Opus55SaysSoByName()
    {
        Refusals(Agent("claude-opus-5-5", new ThinkingSettings(ThinkingMode.Off)))["thinking.mode"]
            .ShouldStartWith("Claude Opus 5.5 always thinks: thinking cannot be off");
    }

    [Fact]
    public void Sonnet55OffersBetweenToolsInsteadOfOffUpToEffortHigh()
    {
        Refusals(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.Off)))["thinking.mode"].ShouldContain("between_tools");
        Refusals(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.BetweenTools, "high"))).ShouldBeEmpty();
        Refusals(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.BetweenTools))).ShouldBeEmpty("its default effort is high");
        Refusals(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.BetweenTools, "xhigh")))["thinking.effort"].ShouldContain("effort high or lower");
        Refusals(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.BetweenTools, "max"))).Keys.ShouldBe(["thinking.effort"]);
    }

    [Theory]
    [InlineData("claude-opus-5-5")]
    [InlineData("claude-sonnet-5-5")]
    [InlineData("claude-haiku-5-5")]
    [InlineData("claude-opus-5")]
    [InlineData("claude-sonnet-5")]
    [InlineData("claude-fable-5-2")]
    [InlineData("claude-opus-4-8")]
    public void NoModelOfFiveOrAbove47TakesAThinkingBudget(string model)
    {
        Refusals(Agent(model, new ThinkingSettings(ThinkingMode.Budget, BudgetTokens: 2_048)))["thinking.mode"].ShouldContain("does not take a thinking budget");
    }

    [Theory]
    [InlineData("claude-opus-4-6")]
    [InlineData("claude-sonnet-4-6")]
    [InlineData("claude-haiku-4-5")]
    [InlineData("claude-opus-4-5")]
    public void OlderModelsStillTakeABudget(string model)
    {
        Refusals(Agent(model, new ThinkingSettings(ThinkingMode.Budget, BudgetTokens: 2_048))).ShouldBeEmpty();
    }

    [Fact]
    public void Haiku55TurnsThinkingOffOnlyUpToEffortHighAndHasNoBetweenTools()
    {
        Refusals(Agent("claude-haiku-5-5", new ThinkingSettings(ThinkingMode.Off, "high"))).ShouldBeEmpty();
        Refusals(Agent("claude-haiku-5-5", new ThinkingSettings(ThinkingMode.Off))).ShouldBeEmpty("its default effort is medium");
        Refusals(Agent("claude-haiku-5-5", new ThinkingSettings(ThinkingMode.Off, "xhigh")))["thinking.effort"].ShouldContain("effort high or lower");
        Refusals(Agent("claude-haiku-5-5", new ThinkingSettings(ThinkingMode.BetweenTools)))["thinking.mode"].ShouldContain("between_tools");
    }

    [Fact]
    public void EffortsAreThoseTheModelTakes()
    {
        Refusals(Agent("claude-opus-4-6", new ThinkingSettings(ThinkingMode.Adaptive, "xhigh")))["thinking.effort"].ShouldContain("low, medium, high, max");
        Refusals(Agent("claude-opus-4-5", new ThinkingSettings(ThinkingMode.Budget, "max", 2_048)))["thinking.effort"].ShouldContain("low, medium, high");
        Refusals(Agent("claude-haiku-4-5", new ThinkingSettings(ThinkingMode.Off, "low")))["thinking.effort"].ShouldContain("takes no effort level");
        Refusals(Agent("claude-opus-5-5", new ThinkingSettings(ThinkingMode.Adaptive, "xhigh"))).ShouldBeEmpty();
    }

    [Fact]
    public void AdaptiveThinkingIsRefusedWhereThereIsNone()
    {
        Refusals(Agent("claude-haiku-4-5", new ThinkingSettings(ThinkingMode.Adaptive)))["thinking.mode"].ShouldContain("no adaptive thinking");
    }

    [Fact]
    public void MaxTokensAreBoundByWhatTheModelWrites()
    {
        Refusals(Agent("claude-haiku-4-5", maxTokens: 64_001))["maxTokens"].ShouldContain("64,000");
        Refusals(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.Adaptive), maxTokens: 128_000)).ShouldBeEmpty();
    }

    [Fact]
    public void AnActiveAgentCannotBeSavedOnARetiredModelButAnInactiveOneMayKeepIt()
    {
        Refusals(Agent("claude-sonnet-4-5"))["model"].ShouldBe("Claude Sonnet 4.5 was retired on 2026-11-30: Anthropic refuses requests for it. Choose claude-sonnet-5-5 instead.");
        Refusals(Agent("claude-sonnet-4-5", status: AgentStatus.Inactive)).ShouldBeEmpty();
    }

    [Fact]
    public void ADeprecatedModelIsRetiredFromItsRetirementDate()
    {
        var opus45 = Model("claude-opus-4-5");

        opus45.StatusAt(Today).ShouldBe(ModelStatus.Deprecated);
        opus45.StatusAt(new DateTimeOffset(2027, 1, 22, 0, 0, 0, TimeSpan.Zero)).ShouldBe(ModelStatus.Retired);
        AgentModelRules.Check(Agent("claude-opus-4-5"), opus45, new DateTimeOffset(2027, 2, 1, 0, 0, 0, TimeSpan.Zero)).ShouldHaveSingleItem()
            .ErrorMessage!.ShouldContain("claude-opus-5-5");
    }

    [Theory]
    [InlineData("claude-opus-5-5", ThinkingMode.Adaptive)]
    [InlineData("claude-sonnet-5-5", ThinkingMode.Adaptive)]
    [InlineData("claude-haiku-5-5", ThinkingMode.Adaptive)]
    [InlineData("claude-opus-4-6", ThinkingMode.Off)]
    [InlineData("claude-haiku-4-5", ThinkingMode.Off)]
    public void AnAgentThatSaysNothingOfThinkingGetsWhatItsModelDoesByDefault(string model, string mode)
    {
        AgentModelRules.DefaultThinking(Model(model)).Mode.ShouldBe(mode);
        Refusals(Agent(model)).ShouldBeEmpty();
    }

    [Fact]
    public void MovingAnAgentCarriesEachRefusedSettingToTheNearestTheModelTakesAndSaysWhat()
    {
        var onOpus46 = Agent("claude-opus-4-6", new ThinkingSettings(ThinkingMode.Off, "max"));

        var (moved, changes) = AgentModelRules.Adapt(onOpus46, Model("claude-sonnet-5-5"));

        moved.Model.ShouldBe("claude-sonnet-5-5");
        moved.Thinking!.Mode.ShouldBe(ThinkingMode.BetweenTools);
        moved.Thinking.Effort.ShouldBe("high");
        changes.Count.ShouldBe(2);
        AgentModelRules.Check(moved, Model("claude-sonnet-5-5"), Today).ShouldBeEmpty();
    }

    [Fact]
    public void MovingABudgetAgentToA55ModelMakesItAdaptive()
    {
        var (moved, changes) = AgentModelRules.Adapt(Agent("claude-opus-4-5", new ThinkingSettings(ThinkingMode.Budget, BudgetTokens: 2_048, Show: true)), Model("claude-opus-5-5"));

        (moved.Thinking!.Mode, moved.Thinking.BudgetTokens, moved.Thinking.Show).ShouldBe((ThinkingMode.Adaptive, (int?)null, true));
        changes.ShouldHaveSingleItem().ShouldContain("budget became adaptive");
    }

    [Fact]
    public void EveryDeprecatedOrRetiredModelNamesAReplacementInTheCatalogue()
    {
        foreach (var model in ClaudeModelConfiguration.Seed.Where(m => m.Status is ModelStatus.Deprecated or ModelStatus.Retired))
        {
            model.RetiresAt.ShouldNotBeNull(model.Id);
            ClaudeModelConfiguration.Seed.ShouldContain(m => m.Id == model.Replacement && m.StatusAt(Today) != ModelStatus.Retired, model.Id);
        }
    }
}

/// <summary>The request an agent makes: never a setting its model refuses, and the thinking display always said.</summary>
public sealed class AgentRequestTests
{
    private static readonly AnthropicOptions Options = new();

    private static ModelCapabilities Caps(string id) => ClaudeModelConfiguration.Seed.Single(m => m.Id == id).Capabilities;

    private static WireRequest For(Agent agent, string? model = null) =>
        WireRequest.For(agent, model is null ? null : Caps(model), null, [], Options);

    private static Agent Agent(string model, ThinkingSettings? thinking = null, bool search = false) => new()
    {
        Id = "a", Name = "A", Model = model, MaxTokens = 1_024, Thinking = thinking, WebSearch = search ? new WebSearchSettings(true) : null,
    };

    [Fact]
    public void ShownThinkingIsSummarizedAndHiddenIsOmittedAlwaysExplicitly()
    {
        For(Agent("claude-opus-4-6", new ThinkingSettings(ThinkingMode.Adaptive, Show: true)), "claude-opus-4-6").Thinking.ShouldBe(new WireThinking("adaptive", null, "summarized"));
        For(Agent("claude-opus-4-6", new ThinkingSettings(ThinkingMode.Adaptive)), "claude-opus-4-6").Thinking.ShouldBe(new WireThinking("adaptive", null, "omitted"));
        For(Agent("claude-haiku-4-5", new ThinkingSettings(ThinkingMode.Budget, BudgetTokens: 1_024)), "claude-haiku-4-5").Thinking.ShouldBe(new WireThinking("enabled", 1_024, "omitted"));
    }

    [Fact]
    public void OffIsSentAsDisabledWhereTheModelTakesIt()
    {
        For(Agent("claude-haiku-5-5", new ThinkingSettings(ThinkingMode.Off)), "claude-haiku-5-5").Thinking.ShouldBe(new WireThinking("disabled", null, null));
        For(Agent("claude-test-model", null)).Thinking.ShouldBeNull("a model the catalogue does not know gets no thinking field when off");
    }

    [Fact]
    public void ASearchAgentOnAModelThatPutsItsNotesInThinkingAsksForUpdatesWithTheBetaAndTellsThemAsProgress()
    {
        var request = For(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.Adaptive), search: true), "claude-sonnet-5-5");

        request.Thinking.ShouldBe(new WireThinking("adaptive", null, "updates"));
        request.Beta.ShouldBe(ThinkingDisplay.Beta);
        request.ThinkingShown.ShouldBe(ThinkingDeltas.AsProgress);
    }

    [Fact]
    public void WithoutToolsOrWithShownThinkingThereAreNoUpdates()
    {
        For(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.Adaptive)), "claude-sonnet-5-5").Thinking!.Display.ShouldBe("omitted");
        var shown = For(Agent("claude-opus-5-5", new ThinkingSettings(ThinkingMode.Adaptive, Show: true), search: true), "claude-opus-5-5");
        (shown.Thinking!.Display, shown.ThinkingShown, shown.Beta).ShouldBe(("summarized", ThinkingDeltas.AsThinking, (string?)null));
    }

    [Fact]
    public void BetweenToolsIsItsOwnTypeAndItsNotesAreProgress()
    {
        var request = For(Agent("claude-sonnet-5-5", new ThinkingSettings(ThinkingMode.BetweenTools, "high"), search: true), "claude-sonnet-5-5");

        request.Thinking.ShouldBe(new WireThinking("between_tools", null, null));
        request.OutputConfig.ShouldBe(new WireOutputConfig("high"));
        request.ThinkingShown.ShouldBe(ThinkingDeltas.AsProgress);
    }

    [Fact]
    public void AnOffAgentOnAModelThatAlwaysThinksIsSentWhatTheModelDoesAnyway()
    {
        For(Agent("claude-opus-5-5", new ThinkingSettings(ThinkingMode.Off)), "claude-opus-5-5").Thinking.ShouldBe(new WireThinking("adaptive", null, "omitted"));
    }

    [Fact]
    public void TodaysToolVersionsAreTheDefaultAndNeedNoBeta()
    {
        var request = For(new Agent { Id = "a", Name = "A", Model = "claude-opus-4-6", MaxTokens = 1_024, WebSearch = new WebSearchSettings(true), WebFetch = new WebFetchSettings(true) });

        request.Tools!.Select(t => t.Type).ShouldBe(["web_search_20260318", "web_fetch_20260318"]);
        request.Beta.ShouldBeNull();
    }
}
