using AngleSharp.Dom;
using Bunit;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Data.Configurations;
using CommandCenter.Services.Models;
using Microsoft.Extensions.Time.Testing;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Validation;
using CommandCenter.Web.Agents;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace CommandCenter.Unit.Components;

public sealed class AgentDialogTests : BunitContext
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<AgentInput> _saved = [];
    private Func<AgentInput, AgentView?> _respond = input =>
        new AgentView("agent-1", input.Name!.Trim(), input.Description ?? "", input.Model!, input.SystemPrompt ?? "",
            input.MaxTokens ?? AgentInput.DefaultMaxTokens, input.Status!, Now, Now);

    private readonly IReadOnlyList<ModelPrice> _prices =
    [
        new() { Model = "claude-sonnet-4-5", InputPerMTok = 3m, OutputPerMTok = 15m },
        new() { Model = "claude-haiku-4-5", InputPerMTok = 1m, OutputPerMTok = 5m },
    ];

    public AgentDialogTests()
    {
        Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero)));
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private async Task<(IRenderedComponent<IComponent> Cut, IDialogReference Dialog)> ShowAsync(
        AgentView? agent = null, IReadOnlyList<ModelPrice>? prices = null, IReadOnlyList<ClaudeModel>? models = null)
    {
        // The popover provider hosts MudSelect's list; the dialog provider hosts the dialog.
        var cut = Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<MudDialogProvider>(1);
            b.CloseComponent();
        });
        var dialogService = Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<AgentDialog>
        {
            { d => d.Agent, agent },
            { d => d.Prices, prices ?? _prices },
            { d => d.Models, models ?? [] },
            {
                d => d.Save, input =>
                {
                    _saved.Add(input);
                    return Task.FromResult(_respond(input));
                }
            },
        };
        var dialog = await cut.InvokeAsync(() => dialogService.ShowAsync<AgentDialog>(agent is null ? "New agent" : "Edit agent", parameters));
        cut.Find("[data-testid=agent-form]");
        return (cut, dialog);
    }

    private static IElement Field(IRenderedComponent<IComponent> cut, string testId) => cut.Find($"[data-testid={testId}]");

    /// <summary>The error MudBlazor shows under a field (its ErrorText), or null.</summary>
    private static string? ErrorOf(IRenderedComponent<IComponent> cut, string testId)
    {
        var control = Field(cut, testId).Closest(".mud-input-control")!;
        return control.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim();
    }

    [Fact]
    public async Task TheSystemPromptCounterFollowsEachKeystroke()
    {
        var (cut, _) = await ShowAsync();

        await Field(cut, "agent-system-prompt").InputAsync(new ChangeEventArgs { Value = "Be brief." });

        Field(cut, "agent-system-prompt").Closest(".mud-input-control")!.QuerySelector(".mud-input-helper-text")!.TextContent.ShouldContain("9 / 20000");
    }

    private static Task TypeAsync(IRenderedComponent<IComponent> cut, string testId, string value) =>
        Field(cut, testId).ChangeAsync(new ChangeEventArgs { Value = value });

    private static async Task PickModelAsync(IRenderedComponent<IComponent> cut, string model)
    {
        await Field(cut, "agent-model").Closest(".mud-input-control")!.MouseDownAsync(new());
        var item = cut.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim().StartsWith(model + " ", StringComparison.Ordinal));
        await item.ClickAsync(new());
    }

    private static Task SaveAsync(IRenderedComponent<IComponent> cut) => cut.Find("[data-testid=agent-save]").ClickAsync(new());

    [Fact]
    public async Task SavingAnEmptyFormShowsTheNameErrorWithoutCallingSaveAndTheModelStartsOnTheFirstListed()
    {
        var (cut, dialog) = await ShowAsync();
        ErrorOf(cut, "agent-name").ShouldBeNull();

        await SaveAsync(cut);

        ErrorOf(cut, "agent-name").ShouldBe("The name is required.");
        ErrorOf(cut, "agent-model").ShouldBeNull();
        Field(cut, "agent-name").GetAttribute("aria-invalid").ShouldBe("true");
        ErrorOf(cut, "agent-max-tokens").ShouldBeNull();
        _saved.ShouldBeEmpty();
        dialog.Result.IsCompleted.ShouldBeFalse();

        await TypeAsync(cut, "agent-name", "Support bot");
        await SaveAsync(cut);
        _saved.ShouldHaveSingleItem().Model.ShouldBe("claude-sonnet-4-5");
    }

    [Fact]
    public async Task ModelListOffersEveryPricedModel()
    {
        var (cut, _) = await ShowAsync();

        await Field(cut, "agent-model").Closest(".mud-input-control")!.MouseDownAsync(new());

        var items = cut.FindAll(".mud-popover-open .mud-list-item").Select(i => i.TextContent.Trim()).ToList();
        items.Count.ShouldBe(2);
        items[0].ShouldStartWith("claude-sonnet-4-5 · $3 in / $15 out");
        items[1].ShouldStartWith("claude-haiku-4-5 · $1 in / $5 out");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(AgentInput.MaxMaxTokens + 1)]
    public async Task OutOfRangeMaxTokensShowsMaxTokensErrorWithoutCallingSave(int maxTokens)
    {
        // MudNumericField clamps what is typed to Min..Max (see TypedMaxTokensAreClampedToTheAllowedRange), so an
        // out-of-range value reaches the form only from an agent saved before the limits, edited here.
        var agent = new AgentView("agent-7", "Support bot", "", "claude-haiku-4-5", "", maxTokens, AgentStatus.Active, Now, Now);
        var (cut, dialog) = await ShowAsync(agent);

        await SaveAsync(cut);

        ErrorOf(cut, "agent-max-tokens").ShouldBe($"Max tokens must be between 1 and {AgentInput.MaxMaxTokens}.");
        Field(cut, "agent-max-tokens").GetAttribute("aria-invalid").ShouldBe("true");
        ErrorOf(cut, "agent-name").ShouldBeNull();
        ErrorOf(cut, "agent-model").ShouldBeNull();
        _saved.ShouldBeEmpty();
        dialog.Result.IsCompleted.ShouldBeFalse();
    }

    [Theory]
    [InlineData("0", 1)]
    [InlineData("-5", 1)]
    [InlineData("200000", AgentInput.MaxMaxTokens)]
    public async Task TypedMaxTokensAreClampedToTheAllowedRange(string typed, int saved)
    {
        var (cut, _) = await ShowAsync();
        await TypeAsync(cut, "agent-name", "Support bot");
        await PickModelAsync(cut, "claude-haiku-4-5");
        await TypeAsync(cut, "agent-max-tokens", typed);

        Field(cut, "agent-max-tokens").GetAttribute("value").ShouldBe(saved.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await SaveAsync(cut);

        _saved.ShouldHaveSingleItem().MaxTokens.ShouldBe(saved);
    }

    [Fact]
    public async Task ClearedMaxTokensIsSentAsNullForTheServerDefault()
    {
        var (cut, _) = await ShowAsync();
        await TypeAsync(cut, "agent-name", "Support bot");
        await PickModelAsync(cut, "claude-haiku-4-5");
        await TypeAsync(cut, "agent-max-tokens", "");

        await SaveAsync(cut);

        _saved.ShouldHaveSingleItem().MaxTokens.ShouldBeNull();
    }

    [Fact]
    public async Task ValidFormCallsSaveOnceWithTheEnteredValuesAndClosesWithTheAgent()
    {
        var (cut, dialog) = await ShowAsync();
        await TypeAsync(cut, "agent-name", "Support bot");
        await PickModelAsync(cut, "claude-haiku-4-5");
        await Field(cut, "agent-system-prompt").InputAsync(new ChangeEventArgs { Value = "Be brief." });
        await TypeAsync(cut, "agent-max-tokens", "2048");

        await SaveAsync(cut);

        _saved.ShouldHaveSingleItem().ShouldBe(new AgentInput("Support bot", null, "claude-haiku-4-5", "Be brief.", 2048, AgentStatus.Active, new(), new(), new()));
        var result = await dialog.Result.WaitAsync(TimeSpan.FromSeconds(5), Xunit.TestContext.Current.CancellationToken);
        result.ShouldNotBeNull();
        result.Canceled.ShouldBeFalse();
        var agent = result.Data.ShouldBeOfType<AgentView>();
        agent.Name.ShouldBe("Support bot");
        agent.Model.ShouldBe("claude-haiku-4-5");
        cut.FindAll("[data-testid=agent-form]").ShouldBeEmpty();
    }

    [Fact]
    public async Task CorrectedFormIsSavedAfterFailedValidation()
    {
        var (cut, _) = await ShowAsync();
        await SaveAsync(cut);
        ErrorOf(cut, "agent-name").ShouldNotBeNull();

        await TypeAsync(cut, "agent-name", "Support bot");
        await PickModelAsync(cut, "claude-sonnet-4-5");
        await SaveAsync(cut);

        _saved.ShouldHaveSingleItem().Model.ShouldBe("claude-sonnet-4-5");
    }

    [Fact]
    public async Task DuplicateNameFromTheServerIsShownOnTheNameField()
    {
        _respond = _ => throw InvalidInputException.For("name", "An agent named 'Support bot' already exists.");
        var (cut, dialog) = await ShowAsync();
        await TypeAsync(cut, "agent-name", "Support bot");
        await PickModelAsync(cut, "claude-sonnet-4-5");

        await SaveAsync(cut);

        _saved.Count.ShouldBe(1);
        ErrorOf(cut, "agent-name").ShouldBe("An agent named 'Support bot' already exists.");
        dialog.Result.IsCompleted.ShouldBeFalse();
        cut.Find("[data-testid=agent-save]").HasAttribute("disabled").ShouldBeFalse();
    }

    [Fact]
    public async Task EditingAnAgentKeepsItsThinkingAndToolsAndShowsARefusedBudgetOnItsField()
    {
        var agent = new AgentView("agent-8", "Scout", "", "claude-sonnet-4-5", "Search first.", 4096, AgentStatus.Active, Now, Now,
            new ThinkingSettings(ThinkingMode.Budget, null, 2048, Show: true), new WebSearchSettings(true, 3, ["docs.python.org"]), new WebFetchSettings(true));
        _respond = _ => throw InvalidInputException.For("thinking.budgetTokens", "The thinking budget must be less than max tokens (4,096): thinking counts toward them.");
        var (cut, _) = await ShowAsync(agent);
        Field(cut, "agent-thinking-budget").GetAttribute("value").ShouldBe("2048");
        Field(cut, "agent-web-search-max").GetAttribute("value").ShouldBe("3");
        Field(cut, "agent-web-search-allowed").GetAttribute("value").ShouldBe("docs.python.org");

        await SaveAsync(cut);

        var saved = _saved.ShouldHaveSingleItem();
        saved.Thinking.ShouldBe(new ThinkingSettings(ThinkingMode.Budget, null, 2048, Show: true));
        (saved.WebSearch!.Enabled, saved.WebSearch.MaxUses, saved.WebSearch.BlockedDomains).ShouldBe((true, 3, null));
        saved.WebSearch.AllowedDomains.ShouldBe(["docs.python.org"]);
        saved.WebFetch.ShouldBe(new WebFetchSettings(true));
        ErrorOf(cut, "agent-thinking-budget").ShouldBe("The thinking budget must be less than max tokens (4,096): thinking counts toward them.");
    }

    [Fact]
    public async Task EditingAnAgentStartsFromItsValuesAndSavesChanges()
    {
        var agent = new AgentView("agent-7", "Researcher", "Digs deep", "claude-sonnet-4-5", "Cite sources.", 4096, AgentStatus.Inactive, Now, Now);
        var (cut, dialog) = await ShowAsync(agent);
        Field(cut, "agent-name").GetAttribute("value").ShouldBe("Researcher");
        Field(cut, "agent-max-tokens").GetAttribute("value").ShouldBe("4096");

        await TypeAsync(cut, "agent-max-tokens", "8000");
        await SaveAsync(cut);

        _saved.ShouldHaveSingleItem().ShouldBe(new AgentInput("Researcher", "Digs deep", "claude-sonnet-4-5", "Cite sources.", 8000, AgentStatus.Inactive, new(), new(), new()));
        (await dialog.Result.WaitAsync(TimeSpan.FromSeconds(5), Xunit.TestContext.Current.CancellationToken))!.Canceled.ShouldBeFalse();
    }

    [Fact]
    public async Task AgentWhoseModelIsNoLongerPricedGetsAModelError()
    {
        var agent = new AgentView("agent-7", "Legacy", "", "claude-2", "", 1024, AgentStatus.Active, Now, Now);
        var (cut, _) = await ShowAsync(agent);

        await SaveAsync(cut);

        ErrorOf(cut, "agent-model")!.ShouldStartWith("Unknown model 'claude-2'.");
        _saved.ShouldBeEmpty();
    }

    [Fact]
    public async Task AgentDeletedMeanwhileIsReportedOnTheForm()
    {
        _respond = _ => null;
        var agent = new AgentView("agent-7", "Researcher", "", "claude-sonnet-4-5", "", 1024, AgentStatus.Active, Now, Now);
        var (cut, dialog) = await ShowAsync(agent);

        await SaveAsync(cut);

        ErrorOf(cut, "agent-name").ShouldBe("This agent was deleted meanwhile.");
        dialog.Result.IsCompleted.ShouldBeFalse();
    }

    // Today's catalogue, as seeded, with a price for each model the tests pick.
    private static readonly IReadOnlyList<ModelPrice> TodaysPrices =
        [.. new[] { "claude-sonnet-5-5", "claude-opus-5-5", "claude-opus-4-6", "claude-opus-4-5", "claude-sonnet-4-5" }
            .Select(m => new ModelPrice { Model = m, InputPerMTok = 2m, CacheReadPerMTok = 0.1m, OutputPerMTok = 10m })];

    private static IReadOnlyList<ClaudeModel> Catalogue => ClaudeModelConfiguration.Seed;

    private static async Task<List<string>> OptionsOfAsync(IRenderedComponent<IComponent> cut, string testId)
    {
        await Field(cut, testId).Closest(".mud-input-control")!.MouseDownAsync(new());
        var items = cut.FindAll(".mud-popover-open .mud-list-item").Select(i => i.TextContent.Trim()).ToList();
        await Field(cut, testId).Closest(".mud-input-control")!.MouseDownAsync(new());
        return items;
    }

    [Fact]
    public async Task ANewAgentStartsOnTheCurrentSonnetThinkingAsItDoesAndRetiredModelsAreNotOffered()
    {
        var (cut, _) = await ShowAsync(prices: TodaysPrices, models: Catalogue);

        var models = await OptionsOfAsync(cut, "agent-model");
        models.ShouldNotContain(m => m.StartsWith("claude-sonnet-4-5 ", StringComparison.Ordinal));
        models.ShouldContain(m => m.StartsWith("claude-opus-4-5 ", StringComparison.Ordinal) && m.EndsWith("deprecated", StringComparison.Ordinal));
        models.First().ShouldStartWith("claude-opus-5-5", customMessage: "active models first, the newest first");
        await TypeAsync(cut, "agent-name", "Helper");
        await SaveAsync(cut);

        var saved = _saved.ShouldHaveSingleItem();
        (saved.Model, saved.Thinking!.Mode).ShouldBe(("claude-sonnet-5-5", ThinkingMode.Adaptive));
    }

    [Fact]
    public async Task TheThinkingChoicesAreOnlyThoseTheModelTakes()
    {
        var (cut, _) = await ShowAsync(prices: TodaysPrices, models: Catalogue);

        await PickModelAsync(cut, "claude-opus-5-5");
        (await OptionsOfAsync(cut, "agent-thinking-mode")).ShouldBe(["Adaptive: Claude decides how much"]);
        (await OptionsOfAsync(cut, "agent-thinking-effort")).ShouldBe(["Model default (medium)", "low", "medium", "high", "xhigh", "max"]);

        await PickModelAsync(cut, "claude-sonnet-5-5");
        (await OptionsOfAsync(cut, "agent-thinking-mode")).ShouldBe(["Adaptive: Claude decides how much", "Off, with progress notes between tool calls"]);

        await PickModelAsync(cut, "claude-opus-4-6");
        (await OptionsOfAsync(cut, "agent-thinking-mode")).ShouldBe(["Off", "Adaptive: Claude decides how much", "Token budget"]);
        (await OptionsOfAsync(cut, "agent-thinking-effort")).ShouldNotContain("xhigh");
    }

    [Fact]
    public async Task SwitchingToAModelThatAlwaysThinksTurnsOffIntoAdaptiveAndSaysWhy()
    {
        var agent = new AgentView("agent-7", "Support bot", "", "claude-opus-4-6", "", 2_048, AgentStatus.Active, Now, Now, new ThinkingSettings(ThinkingMode.Off));
        var (cut, _) = await ShowAsync(agent, TodaysPrices, Catalogue);

        await PickModelAsync(cut, "claude-opus-5-5");

        cut.Find("[data-testid=agent-model-adapted]").TextContent.ShouldContain("Thinking off became adaptive: Claude Opus 5.5 does not take off.");
        await SaveAsync(cut);
        _saved.ShouldHaveSingleItem().Thinking!.Mode.ShouldBe(ThinkingMode.Adaptive);
    }

    [Fact]
    public async Task ADeprecatedModelShowsWhenItRetiresAndWhatReplacesIt()
    {
        var (cut, _) = await ShowAsync(prices: TodaysPrices, models: Catalogue);

        await PickModelAsync(cut, "claude-opus-4-5");

        cut.Find("[data-testid=agent-model-lifecycle]").TextContent.ShouldContain("Claude Opus 4.5 is deprecated and retires on 2027-01-22. Anthropic recommends claude-opus-5-5.");
    }

    [Fact]
    public async Task ANewAgentTakesEachChosenModelsOwnDefaultThinking()
    {
        var prices = TodaysPrices.Append(new ModelPrice { Model = "claude-haiku-4-5", InputPerMTok = 1m, OutputPerMTok = 5m }).ToList();
        var (cut, _) = await ShowAsync(prices: prices, models: Catalogue);
        await TypeAsync(cut, "agent-name", "Helper");

        await PickModelAsync(cut, "claude-haiku-4-5");
        await SaveAsync(cut);

        var saved = _saved.ShouldHaveSingleItem();
        (saved.Model, saved.Thinking!.Mode, saved.Thinking.BudgetTokens).ShouldBe(("claude-haiku-4-5", ThinkingMode.Off, (int?)null));
        cut.FindAll("[data-testid=agent-model-adapted]").ShouldBeEmpty();
    }
}
