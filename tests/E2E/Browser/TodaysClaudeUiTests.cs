using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>Today's models in the console: notes between searches reach the chat, and a model's end is told before it bites.</summary>
public sealed class TodaysClaudeUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task ASearchAgentOnSonnet55ShowsItsNotesBetweenSearchesAsProgressNotSilence()
    {
        var key = CommandCenterApp.NewApiKey();
        var release = new TaskCompletionSource();
        App.Fake.SetScenario(key, new FakeScenario
        {
            Chunks = ["Claude Shannon was born ", "on April 30, 1916."],
            WebSearch = new("claude shannon birth date", [new("https://en.wikipedia.org/wiki/Claude_Shannon", "Claude Shannon - Wikipedia", "April 30, 1916")]),
            BetweenToolsNote = "Found the Wikipedia article; checking the date there.",
            Usage = new FakeUsage(2_000, 300, WebSearchRequests: 1),
            HoldAfterChunks = 0,
            HoldUntil = release.Task,
        });
        using var user = await App.NewUserAsync(apiKey: key);
        var name = $"Researcher {Guid.NewGuid():N}";
        using (var admin = await App.AdminAsync())
        {
            // Thinking not shown: without the notes the chat would go silent between the search and the answer.
            (await admin.PostAsJsonAsync("/api/agents", new
            {
                name, model = "claude-sonnet-5-5", systemPrompt = "Search, then answer.", maxTokens = 4096, webSearch = new { enabled = true },
            }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await ui.ChooseAgentAsync(name);
        await ui.SendAsync("When was Claude Shannon born?");

        var reply = ui.Replies.Last;
        await Expect(reply.GetByTestId("progress")).ToHaveTextAsync("Found the Wikipedia article; checking the date there.");
        await Expect(reply.GetByTestId("thinking")).ToHaveCountAsync(0);
        await ScreenshotAsync("progress-between-searches");
        var sent = App.Fake.RequestsFor(key).ShouldHaveSingleItem();
        sent.Json.GetProperty("thinking").GetProperty("display").GetString().ShouldBe("updates");
        sent.Headers["anthropic-beta"].ShouldContain("thinking-display-updates-2026-08-18");

        release.SetResult();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Claude Shannon was born on April 30, 1916.");
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.Replies.Last.GetByTestId("progress")).ToHaveTextAsync("Found the Wikipedia article; checking the date there.");
    }

    [Fact]
    public async Task AnAgentOnADeprecatedModelIsFlaggedOnTheAgentsPageAndInTheChatAndMovesInOneClick()
    {
        var model = $"claude-test-old-{Guid.NewGuid():N}"[..32];
        await App.Database.QueryAsync(
            """
            INSERT INTO models (id, "displayName", aliases, status, "deprecatedAt", "retiresAt", replacement, "contextWindow", "maxOutputTokens", capabilities)
            VALUES ($1, 'Claude Test Old', '{}', 'deprecated', now() - interval '1 day', now() + interval '30 days', 'claude-sonnet-4-6', 200000, 64000,
                '{"thinkingTypes":["enabled","disabled"],"efforts":[],"displayDefault":"summarized"}')
            """, model);
        var retires = DateTimeOffset.UtcNow.AddDays(30).ToString("yyyy-MM-dd");
        var name = $"Legacy bot {Guid.NewGuid():N}"[..24];
        using (var admin = await App.AdminAsync())
        {
            (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 3m, cacheWrite5mPerMTok = 3.75m, cacheWrite1hPerMTok = 6m, cacheReadPerMTok = 0.3m, outputPerMTok = 15m },
                TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync("/api/agents", new { name, model, systemPrompt = "", maxTokens = 1024 }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.ChooseAgentAsync(name);
        var banner = Page.GetByTestId("model-lifecycle-banner");
        await Expect(banner).ToHaveTextAsync($"{name}'s model {model} is deprecated and retires on {retires}. Anthropic recommends claude-sonnet-4-6; an administrator can move {name} on the Agents page.");
        await ScreenshotAsync("deprecated-model-chat");

        await Page.GetByTestId("nav-agents").ClickAsync();
        var row = Page.GetByTestId("agents-grid").Locator("tr", new() { HasText = name });
        await Expect(row.GetByTestId("agent-model-warning")).ToContainTextAsync($"Deprecated: retires {retires}");
        await ScreenshotAsync("deprecated-model-agents");
        await row.GetByTestId("agent-move").ClickAsync();

        await Expect(Page.Locator(".mud-snackbar")).ToContainTextAsync($"{name} now uses claude-sonnet-4-6.");
        await Expect(row).ToContainTextAsync("claude-sonnet-4-6");
        await Expect(row.GetByTestId("agent-model-warning")).ToHaveCountAsync(0);
        (await App.Database.SingleAsync("SELECT model FROM agents WHERE name = $1", name))["model"].ShouldBe("claude-sonnet-4-6");
    }
}
