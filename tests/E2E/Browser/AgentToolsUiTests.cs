using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>What an operator sees of Claude's thinking, searches and sources, as they happen.</summary>
public sealed class AgentToolsUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    private async Task<(ChatPageObject Ui, TestUser User)> SignInWithToolAgentAsync(FakeScenario scenario)
    {
        var key = CommandCenterApp.NewApiKey();
        App.Fake.SetScenario(key, scenario);
        var user = await App.NewUserAsync(apiKey: key);
        var name = $"Researcher {Guid.NewGuid():N}";
        using (var admin = await App.AdminAsync())
        {
            (await admin.PostAsJsonAsync("/api/agents", new
            {
                name, model = "claude-sonnet-4-6", systemPrompt = "Search, then answer.", maxTokens = 4096,
                thinking = new { mode = "budget", budgetTokens = 1024, show = true }, webSearch = new { enabled = true },
            })).EnsureSuccessStatusCode();
        }

        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await ui.ChooseAgentAsync(name);
        return (ui, user);
    }

    [Fact]
    public async Task ThinkingToolChipsAndNumberedSourcesAppearAsTheyStreamAndTheThinkingFoldsAwayOnceTheAnswerBegins()
    {
        var release = new TaskCompletionSource();
        var (ui, user) = await SignInWithToolAgentAsync(new FakeScenario
        {
            Chunks = ["Claude Shannon was born ", "on April 30, 1916."],
            IncludeThinking = true,
            WebSearch = new("claude shannon birth date",
            [
                new("https://en.wikipedia.org/wiki/Claude_Shannon", "Claude Shannon - Wikipedia", "April 30, 1916"),
                new("https://www.britannica.com/biography/Claude-Shannon", "Claude Shannon | Britannica", "born April 30, 1916"),
            ]),
            Usage = new FakeUsage(2_000, 300, WebSearchRequests: 1, ThinkingTokens: 240),
            HoldAfterChunks = 0,
            HoldUntil = release.Task,
        });
        using var _ = user;
        await ui.SendAsync("When was Claude Shannon born?");

        // Before any text: the thinking is open, the search is done, and its sources are listed.
        var reply = ui.Replies.Last;
        var thinking = reply.GetByTestId("thinking");
        await Expect(thinking).ToHaveAttributeAsync("open", "");
        await Expect(thinking).ToContainTextAsync("The user wants a reply. A short, friendly one will do.");
        await Expect(reply.GetByTestId("tool-chip")).ToHaveTextAsync("Searched: claude shannon birth date · 2 results");
        var sources = reply.GetByTestId("citation");
        await Expect(sources).ToHaveCountAsync(2);
        await Expect(sources.First).ToHaveTextAsync("1Claude Shannon - Wikipedia");
        await Expect(sources.First).ToHaveAttributeAsync("href", "https://en.wikipedia.org/wiki/Claude_Shannon");
        await Expect(sources.First).ToHaveAttributeAsync("target", "_blank");
        await Expect(sources.First).ToHaveAttributeAsync("rel", "noopener noreferrer");
        await ScreenshotAsync("agent-tools-mid-stream");

        release.SetResult();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Claude Shannon was born on April 30, 1916.");
        await Expect(thinking).Not.ToHaveAttributeAsync("open", "");
        await Expect(reply.GetByTestId("tool-fees")).ToHaveTextAsync("1 search $0.010000");
        await Expect(reply.GetByTestId("thinking-tokens")).ToHaveTextAsync("of which 240 thinking");
        await ScreenshotAsync("agent-tools-complete");

        // A reload shows the same, from the stored reply.
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        reply = ui.Replies.Last;
        await Expect(reply.GetByTestId("thinking")).ToContainTextAsync("The user wants a reply.");
        await Expect(reply.GetByTestId("thinking")).Not.ToHaveAttributeAsync("open", "");
        await Expect(reply.GetByTestId("tool-chip")).ToHaveTextAsync("Searched: claude shannon birth date · 2 results");
        await Expect(reply.GetByTestId("citation")).ToHaveCountAsync(2);
        await Expect(reply.GetByTestId("thinking-tokens")).ToHaveTextAsync("of which 240 thinking");

        await Page.SetViewportSizeAsync(390, 844);
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("agent-tools-phone");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await reply.GetByTestId("thinking").Locator("summary").ClickAsync();
        await Expect(reply.GetByTestId("thinking")).ToHaveAttributeAsync("open", "");
        await ScreenshotAsync("agent-tools-phone-dark");
    }

    [Fact]
    public async Task AnAdminMakesAnAgentThatThinksAndSearchesAndABudgetAboveMaxTokensIsRefusedOnItsField()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.GotoAsync("/agents");
        await Page.GetByTestId("new-agent").ClickAsync();
        var name = $"Scout {Guid.NewGuid():N}"[..20];
        await Page.GetByTestId("agent-name").FillAsync(name);
        await Page.GetByTestId("agent-model").ClickAsync();
        await Page.GetByRole(AriaRole.Option).Filter(new() { HasText = "claude-sonnet-4-6" }).ClickAsync();
        await Page.GetByTestId("agent-max-tokens").FillAsync("2000");
        await Page.GetByTestId("agent-thinking-mode").ClickAsync();
        await Page.GetByRole(AriaRole.Option).Filter(new() { HasText = "Token budget" }).ClickAsync();
        await Page.GetByTestId("agent-thinking-budget").FillAsync("4000");
        await Page.GetByTestId("agent-thinking-show").ClickAsync();
        await Page.GetByTestId("agent-web-search").ClickAsync();
        await Page.GetByTestId("agent-web-search-max").FillAsync("3");
        await Page.GetByTestId("agent-web-search-allowed").FillAsync("docs.python.org, Example.com");
        await Page.GetByTestId("agent-save").ClickAsync();
        await Expect(Page.GetByTestId("agent-form")).ToContainTextAsync("The thinking budget must be less than max tokens (2,000)");
        await ScreenshotAsync("agent-dialog-tools-refused");

        await Page.GetByTestId("agent-thinking-budget").FillAsync("1024");
        await Page.GetByTestId("agent-save").ClickAsync();
        await Expect(Page.GetByTestId("agents-grid")).ToContainTextAsync(name);
        var stored = await App.Database.SingleAsync("SELECT thinking::text AS thinking, \"webSearch\"::text AS search FROM agents WHERE name = $1", name);
        ((string)stored["thinking"]!).ShouldContain("\"budgetTokens\": 1024");
        ((string)stored["thinking"]!).ShouldContain("\"show\": true");
        ((string)stored["search"]!).ShouldContain("\"allowedDomains\": [\"docs.python.org\", \"example.com\"]");
    }

    [Fact]
    public async Task ARefusalIsExplainedAndTheReplyKept()
    {
        var (ui, user) = await SignInWithToolAgentAsync(new FakeScenario { Chunks = ["I can't help with that."], StopReason = "refusal" });
        using var _ = user;
        await ui.SendAsync("Something it refuses");

        await Expect(ui.LastReplyText).ToHaveTextAsync("I can't help with that.");
        await Expect(ui.Replies.Last.GetByTestId("stop-notice")).ToContainTextAsync("Claude declined to go on with this reply");
    }

    [Fact]
    public async Task APausedTurnReadsAsOneReplyWhoseTraceListsEachCall()
    {
        var search = new FakeWebSearch("claude shannon", [new("https://en.wikipedia.org/wiki/Claude_Shannon", "Claude Shannon - Wikipedia", "April 30, 1916")]);
        var (ui, user) = await SignInWithToolAgentAsync(new FakeScenario
        {
            Chunks = ["Let me look. "], WebSearch = search, StopReason = "pause_turn", Usage = new FakeUsage(1_000, 100, WebSearchRequests: 1),
            Continuation = new FakeScenario { Chunks = ["He was born in 1916."], Usage = new FakeUsage(2_000, 50) },
        });
        using var _ = user;
        await ui.SendAsync("When was Claude Shannon born?");

        await Expect(ui.LastReplyText).ToHaveTextAsync("Let me look. He was born in 1916.");
        var reply = ui.Replies.Last;
        await Expect(reply.GetByTestId("cost")).ToHaveTextAsync("$0.021250");
        await Expect(reply.GetByTestId("tool-fees")).ToContainTextAsync("1 search");
        await Expect(reply.GetByTestId("stop-notice")).ToHaveCountAsync(0);

        await Page.GetByTestId("nav-traces").ClickAsync();
        await Expect(Page.GetByTestId("trace-link")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("trace-cost")).ToHaveTextAsync("$0.021250");
        await Page.GetByTestId("trace-link").ClickAsync();
        await Expect(Page.GetByTestId("trace-cost-total")).ToHaveTextAsync("$0.021250");
        var calls = Page.GetByTestId("trace-call");
        await Expect(calls).ToHaveCountAsync(2);
        await Expect(calls.First).ToContainTextAsync("pause_turn");
        await Expect(calls.Last).ToContainTextAsync("end_turn");
        await ScreenshotAsync("trace-paused-desktop");
        // The pointer leaves the trace link, which on a phone lies where the navigation opens on hover.
        await Page.Mouse.MoveAsync(1300, 850);
        await Page.SetViewportSizeAsync(390, 844);
        // The navigation slides away on a phone: the page is read once it has.
        await Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=trace-calls]').getBoundingClientRect().left < 40");
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("trace-paused-phone");
    }
}
