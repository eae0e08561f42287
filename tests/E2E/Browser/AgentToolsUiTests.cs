using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>What an operator sees of Claude's thinking, searches and sources, as they happen.</summary>
public sealed class AgentToolsUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    private async Task<(CommandCenterPage Ui, TestUser User)> SignInWithToolAgentAsync(FakeScenario scenario)
    {
        var key = CommandCenterApp.NewApiKey();
        App.Fake.SetScenario(key, scenario);
        var user = await App.NewUserAsync(apiKey: key);
        var name = $"Researcher {Guid.NewGuid():N}";
        using (var admin = await App.AdminAsync())
        {
            (await admin.PostAsJsonAsync("/api/agents", new
            {
                name, model = "claude-sonnet-4-5", systemPrompt = "Search, then answer.", maxTokens = 4096,
                thinking = new { mode = "budget", budgetTokens = 1024, show = true }, webSearch = new { enabled = true },
            })).EnsureSuccessStatusCode();
        }

        var ui = new CommandCenterPage(Page);
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
            Usage = new FakeUsage(2_000, 300, WebSearchRequests: 1),
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
        await ScreenshotAsync("agent-tools-complete");

        await Page.SetViewportSizeAsync(390, 844);
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("agent-tools-phone");
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
}
