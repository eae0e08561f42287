using CommandCenter.E2E.Api;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>A reply keeps being written when the operator looks elsewhere, reloads, or opens another tab.</summary>
public sealed class BackgroundReplyUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    private static FakeScenario Held(Task release) =>
        new() { Chunks = ["First ", "part, ", "then ", "the rest."], ChunkDelay = TimeSpan.FromMilliseconds(50), HoldAfterChunks = 2, HoldUntil = release, Usage = new FakeUsage(30, 8) };

    [Fact]
    public async Task SwitchingToAnotherConversationAndBackShowsTheReplyStillBeingWrittenThenFinished()
    {
        var release = new TaskCompletionSource();
        var (ui, user, _) = await SignInWithAgentAsync(Held(release.Task));
        using var _ = user;

        await ui.SendAsync("Tell me everything");
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part,");
        var conversation = Page.Url;
        await Page.GetByTestId("new-conversation").ClickAsync();
        await Expect(ui.Replies).ToHaveCountAsync(0);

        // The sidebar marks the conversation whose reply is still being written.
        await Expect(ui.Conversations.First.GetByTestId("conversation-live")).ToBeVisibleAsync();
        await ScreenshotAsync("background-reply-sidebar-marker");

        await ui.Conversations.First.Locator("button").First.ClickAsync();
        await Expect(Page).ToHaveURLAsync(conversation);
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part,");
        await Expect(ui.LastReply).ToHaveAttributeAsync("data-state", "streaming");
        await Expect(ui.StopButton).ToBeVisibleAsync();
        // A reply counts in the totals once it ends, in the header and the sidebar alike.
        await Expect(Page.GetByTestId("conversation-total")).ToHaveTextAsync("Conversation $0.00");
        await Expect(ui.Conversations.First).ToContainTextAsync("$0.00");

        release.SetResult();
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part, then the rest.");
        await Expect(ui.LastReply).ToHaveAttributeAsync("data-state", "complete");
        await Expect(ui.LastReply.GetByTestId("cost")).ToHaveTextAsync("$0.000210"); // 30 × $3 + 8 × $15 per million
        await Expect(ui.Conversations.First.GetByTestId("conversation-live")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId("conversation-total")).ToHaveTextAsync("Conversation $0.000210");
        await Expect(ui.Conversations.First).ToContainTextAsync("$0.000210");
        // Sent from this page, it counts in the session too, though the page followed it from a second start.
        await Expect(Page.GetByTestId("session-total")).ToHaveTextAsync("Session $0.000210");
        App.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem().ClientAborted.ShouldBeFalse();
    }

    [Fact]
    public async Task AReplySentHereThatEndsWhileAnotherConversationIsOpenCountsInTheSessionOnce()
    {
        var release = new TaskCompletionSource();
        var (ui, user, _) = await SignInWithAgentAsync(Held(release.Task));
        using var _ = user;

        await ui.SendAsync("Tell me everything");
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part,");
        await Page.GetByTestId("new-conversation").ClickAsync();
        await Expect(ui.Conversations.First.GetByTestId("conversation-live")).ToBeVisibleAsync();
        release.SetResult();
        await Expect(ui.Conversations.First.GetByTestId("conversation-live")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId("session-total")).ToHaveTextAsync("Session $0.000210");

        await ui.Conversations.First.Locator("button").First.ClickAsync();
        await Expect(ui.LastReply.GetByTestId("cost")).ToHaveTextAsync("$0.000210");
        await Expect(Page.GetByTestId("session-total")).ToHaveTextAsync("Session $0.000210");
        // Counted once: opening it again adds nothing.
        await Page.GetByTestId("new-conversation").ClickAsync();
        await ui.Conversations.First.Locator("button").First.ClickAsync();
        await Expect(ui.LastReply.GetByTestId("cost")).ToHaveTextAsync("$0.000210");
        await Expect(Page.GetByTestId("session-total")).ToHaveTextAsync("Session $0.000210");
    }

    [Fact]
    public async Task AReloadMidReplyPicksTheReplyUpWhereItWas()
    {
        var release = new TaskCompletionSource();
        var (ui, user, _) = await SignInWithAgentAsync(Held(release.Task));
        using var _ = user;

        await ui.SendAsync("Tell me everything");
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part,");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/c/[0-9a-f]{32}$"));
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();

        await Expect(ui.LastReplyText).ToHaveTextAsync("First part,");
        await Expect(ui.LastReply).ToHaveAttributeAsync("data-state", "streaming");
        release.SetResult();
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part, then the rest.");
        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        await Expect(ui.UserMessages).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task StopWorksFromAnotherTabAndBothTabsShowTheReplyStopped()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Only ", "this ", "much"], HoldAfterChunks = 2 });
        using var _ = user;

        await ui.SendAsync("Go on and on");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Only this");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/c/[0-9a-f]{32}$"));

        var other = new ChatPageObject(await Context.NewPageAsync());
        await other.GotoAsync(Page.Url);
        await Expect(other.LastReplyText).ToHaveTextAsync("Only this");
        await other.StopButton.ClickAsync();

        foreach (var tab in new[] { ui, other })
        {
            await Expect(tab.LastReply.GetByTestId("stopped")).ToBeVisibleAsync();
            await Expect(tab.LastReplyText).ToHaveTextAsync("Only this");
            await Expect(tab.Composer).ToBeEnabledAsync();
        }

        var upstream = App.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        await upstream.Ended.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        upstream.ClientAborted.ShouldBeTrue();
        (await App.Database.SingleAsync("SELECT status FROM task_trace WHERE \"ownerId\" = $1", user.Id))["status"].ShouldBe("cancelled");
    }

    [Fact]
    public async Task AMessageSentInOneTabStreamsIntoAnotherTabShowingTheSameConversation()
    {
        var release = new TaskCompletionSource();
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Hello."] });
        using var _ = user;
        await ui.SendAsync("Start");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Hello.");
        var other = new ChatPageObject(await Context.NewPageAsync());
        await other.GotoAsync(Page.Url);
        await Expect(other.Replies).ToHaveCountAsync(1);

        App.Fake.SetScenario(user.ApiKey!, Held(release.Task));
        await ui.SendAsync("And more");
        await Expect(other.UserMessages).ToHaveTextAsync(["Start", "And more"]);
        await Expect(other.LastReplyText).ToHaveTextAsync("First part,");
        release.SetResult();
        await Expect(other.LastReplyText).ToHaveTextAsync("First part, then the rest.");
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part, then the rest.");
    }
}

/// <summary>With a one-second grace period: an open page keeps its reply going, whatever it shows; closing every tab lets the grace run out.</summary>
public sealed class UnwatchedReplyUiTests(BrowserFixture browser, ShortGraceApp app) : BrowserTest(browser, app), IClassFixture<ShortGraceApp>
{
    [Fact]
    public async Task LookingAtAnotherConversationForLongerThanTheGraceLeavesTheReplyToFinish()
    {
        var release = new TaskCompletionSource();
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario
        {
            Chunks = ["First ", "part, ", "then ", "the rest."], HoldAfterChunks = 2, HoldUntil = release.Task, Usage = new FakeUsage(30, 8),
        });
        using var _ = user;

        await ui.SendAsync("Tell me everything");
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part,");
        await Page.GetByTestId("new-conversation").ClickAsync();
        await Expect(ui.Replies).ToHaveCountAsync(0);

        // Showing that nothing stops the reply takes a while: three times the grace, with the page on another conversation.
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        var upstream = App.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        upstream.Ended.IsCompleted.ShouldBeFalse("the call to Anthropic is still open");
        await Expect(ui.Conversations.First.GetByTestId("conversation-live")).ToBeVisibleAsync();

        release.SetResult();
        await Expect(ui.Conversations.First.GetByTestId("conversation-live")).ToHaveCountAsync(0);
        await ui.Conversations.First.Locator("button").First.ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("First part, then the rest.");
        await Expect(ui.LastReply).ToHaveAttributeAsync("data-state", "complete");
        upstream.ClientAborted.ShouldBeFalse();
    }

    [Fact]
    public async Task ClosingEveryTabLetsTheGracePeriodRunOutAndTheReplyIsStopped()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Nobody ", "reads ", "this"], HoldAfterChunks = 2 });
        using var _ = user;
        await ui.SendAsync("Talk to the void");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Nobody reads");

        await Page.CloseAsync();

        var upstream = App.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        await upstream.Ended.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        upstream.ClientAborted.ShouldBeTrue();
        var trace = await App.TraceEndedAsync(await App.TraceStartedAsync(user.Id));
        trace["status"].ShouldBe("cancelled");
        (await App.Database.SingleAsync("SELECT content FROM messages WHERE role = 'assistant' AND \"taskTraceId\" = $1", (string)(await App.Database.SingleAsync("SELECT id FROM task_trace WHERE \"ownerId\" = $1", user.Id))["id"]!))["content"].ShouldBe("Nobody reads ");
    }
}
