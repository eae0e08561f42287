using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class StreamingUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AReplyGrowsTokenByTokenAndEndsWithItsExactCost()
    {
        var words = Enumerable.Range(1, 12).Select(i => $"word{i} ").ToArray();
        // The fake holds after four words until the test lets it go on: the page is seen part-way for certain.
        var release = new TaskCompletionSource();
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario
        {
            Chunks = words, ChunkDelay = TimeSpan.FromMilliseconds(20), HoldAfterChunks = 4, HoldUntil = release.Task, Usage = new FakeUsage(45, 12),
        });
        using var _ = user;

        await ui.SendAsync("Count for me");

        await Expect(ui.UserMessages.Last).ToContainTextAsync("Count for me");
        await Expect(ui.Composer).ToBeDisabledAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("word1 word2 word3 word4");
        await Expect(ui.LastReply.GetByTestId("cost")).ToHaveCountAsync(0);
        await ScreenshotAsync("command-center-mid-stream-light");

        release.SetResult();
        await Expect(ui.LastReplyText).ToHaveTextAsync(string.Concat(words).TrimEnd());
        await Expect(ui.LastReply.GetByTestId("cost")).ToHaveTextAsync("$0.000315");
        await Expect(ui.LastReply.GetByTestId("cost-line")).ToContainTextAsync("45 in");
        await Expect(ui.LastReply.GetByTestId("cost-line")).ToContainTextAsync("12 out");
        await Expect(Page.GetByTestId("session-total")).ToContainTextAsync("$0.000315");
        await Expect(ui.Composer).ToBeEnabledAsync();
        await ScreenshotAsync("command-center-complete-light");
    }

    [Fact]
    public async Task ShiftEnterMakesANewLineAndAnEmptyBoxSendsNothing()
    {
        var (ui, user, _) = await SignInWithAgentAsync();
        using var _ = user;
        await Expect(Page.Locator("[data-testid=composer][data-ready]")).ToHaveCountAsync(1);

        await Expect(ui.SendButton).ToBeDisabledAsync();
        await ui.Composer.PressAsync("Enter");
        await ui.Composer.FillAsync("   ");
        await ui.Composer.PressAsync("Enter");
        await Expect(ui.SendButton).ToBeDisabledAsync();

        await ui.Composer.FillAsync("first line");
        await ui.Composer.PressAsync("Shift+Enter");
        await ui.Composer.PressSequentiallyAsync("second line");
        (await ui.Composer.InputValueAsync()).ShouldBe("first line\nsecond line");
        await ui.Composer.PressAsync("Enter");

        await Expect(ui.UserMessages).ToHaveCountAsync(1);
        (await ui.UserMessages.First.InnerTextAsync()).ShouldContain("first line\nsecond line");
        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        App.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task StopCancelsASlowReplyKeepsThePartialTextAndTheTraceEndsCancelled()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Partial ", "reply ", "then silence"], ChunkDelay = TimeSpan.FromMilliseconds(100), HoldAfterChunks = 2 });
        using var _ = user;

        await ui.SendAsync("Take forever");
        await Expect(ui.LastReplyText).ToContainTextAsync("reply");
        await ui.StopButton.ClickAsync();

        await Expect(ui.LastReply.GetByTestId("stopped")).ToBeVisibleAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Partial reply");
        await Expect(ui.Composer).ToBeEnabledAsync();
        // Anthropic never reported the output: its count (two words, the fake's tokens) is shown as an estimate, then and after a reload.
        await Expect(ui.LastReply.GetByTestId("output-estimated")).ToHaveTextAsync("≈2 out");
        await Expect(ui.LastReply.GetByTestId("cost")).ToContainTextAsync("≈$");
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.LastReply.GetByTestId("output-estimated")).ToHaveTextAsync("≈2 out");
        var upstream = App.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        await upstream.Ended.WaitAsync(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        upstream.ClientAborted.ShouldBeTrue();
        var trace = await App.TraceEndedAsync(await App.TraceStartedAsync(user.Id));
        trace["status"].ShouldBe("cancelled");
    }

    [Fact]
    public async Task LeavingThePageMidReplyLetsItFinishAndComingBackShowsItWhole()
    {
        var release = new TaskCompletionSource();
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Still ", "going ", "on"], ChunkDelay = TimeSpan.FromMilliseconds(100), HoldAfterChunks = 2, HoldUntil = release.Task });
        using var _ = user;

        await ui.SendAsync("Long answer please");
        await Expect(ui.LastReplyText).ToContainTextAsync("going");
        await Page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Settings" }).First.ClickAsync();
        await Expect(Page.GetByTestId("key-status")).ToBeVisibleAsync();

        release.SetResult();
        var trace = await App.TraceEndedAsync(await App.TraceStartedAsync(user.Id));
        trace["status"].ShouldBe("completed");
        await Expect(Page.Locator("#blazor-error-ui")).ToBeHiddenAsync();

        await Page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Command Center" }).First.ClickAsync();
        await Expect(ui.Conversations).ToHaveCountAsync(1);
        await ui.Conversations.First.Locator("button").First.ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Still going on");
        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        App.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem().ClientAborted.ShouldBeFalse();
    }

    [Fact]
    public async Task AFailureMidwayIsShownOnTheMessageWithRetry()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Half an ", "answer", "never"], ErrorAfterChunks = 2 });
        using var _ = user;

        await ui.SendAsync("Break please");

        var error = ui.LastReply.GetByTestId("message-error");
        await Expect(error).ToContainTextAsync("overloaded_error");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Half an answer");
        await Expect(error.GetByTestId("retry")).ToBeVisibleAsync();
        // What the failed call was billed shows at once, as after a reload, and the header agrees with the sidebar.
        var cost = ui.LastReply.GetByTestId("cost");
        await Expect(cost).ToContainTextAsync("≈$");
        await Expect(ui.LastReply.GetByTestId("output-estimated")).ToHaveTextAsync("≈3 out");
        var billed = (await cost.InnerTextAsync()).TrimStart('≈');
        await Expect(Page.GetByTestId("conversation-total")).ToHaveTextAsync($"Conversation {billed}");
        await Expect(Page.GetByTestId("conversation-item").First).ToContainTextAsync(billed);

        App.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Second ", "try"] });
        await error.GetByTestId("retry").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Second try");
        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AMaxTokensStopIsNoted()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { StopReason = "max_tokens" });
        using var _ = user;

        await ui.SendAsync("Go long");

        await Expect(ui.LastReply.GetByTestId("truncated")).ToContainTextAsync("max-token limit");
    }

    [Fact]
    public async Task MarkupInARepliesOrMessagesIsShownAsTextAndNeverRuns()
    {
        string[] hostile = ["<script>window.__pwned = 'script'</script>", " <img src=x onerror=\"window.__pwned='img'\">", " [link](javascript:window.__pwned='link')", " **bold**"];
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = hostile });
        using var _ = user;

        await ui.SendAsync("<img src=y onerror=\"window.__pwned='question'\">");

        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        await Expect(ui.LastReplyText).ToContainTextAsync("<script>window.__pwned = 'script'</script>");
        await Expect(ui.LastReplyText).ToContainTextAsync("<img src=x onerror=");
        await Expect(ui.LastReplyText.Locator("strong")).ToHaveTextAsync("bold");
        await Expect(ui.UserMessages.Last).ToContainTextAsync("<img src=y onerror=");
        (await ui.LastReplyText.Locator("script, img").CountAsync()).ShouldBe(0);
        (await ui.UserMessages.Last.Locator("img").CountAsync()).ShouldBe(0);
        var href = await ui.LastReplyText.Locator("a").First.GetAttributeAsync("href");
        (href ?? "").ShouldNotContain("javascript");
        if (await ui.LastReplyText.Locator("a").CountAsync() > 0)
        {
            await ui.LastReplyText.Locator("a").First.ClickAsync(new() { Force = true });
        }

        (await Page.EvaluateAsync<string?>("() => window.__pwned ?? null")).ShouldBeNull();
    }

    [Fact]
    public async Task WithoutAKeyABannerLeadsToSettingsWhereSavingOneLetsTheOperatorSend()
    {
        App.Fake.DefaultScenario = new FakeScenario { Chunks = ["Now ", "it ", "works"] };
        using var user = await App.NewUserAsync();
        var agentId = await App.CreateAgentAsync();
        var agentName = (await App.Database.SingleAsync("SELECT name FROM agents WHERE id = $1", agentId))["name"]!.ToString()!;
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);

        await Expect(ui.NoKeyBanner).ToBeVisibleAsync();
        await ui.NoKeyBanner.GetByTestId("settings-link").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/settings$"));
        await ui.WaitUntilInteractiveAsync();
        var key = CommandCenterApp.NewApiKey();
        await Page.GetByTestId("key-input").FillAsync(key);
        await Page.GetByTestId("save-key").ClickAsync();
        await Expect(Page.GetByTestId("key-last4")).ToHaveTextAsync(key[^4..]);
        (await Page.ContentAsync()).ShouldNotContain(key);

        await ui.GotoAsync("/");
        await Expect(ui.NoKeyBanner).ToHaveCountAsync(0);
        await ui.ChooseAgentAsync(agentName);
        await ui.SendAsync("Hello again");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Now it works");
        App.Fake.RequestsFor(key).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task VisitorsWhoAreNotSignedInAreSentToSignIn()
    {
        await Page.GotoAsync("/settings");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
        await Expect(Page.GetByTestId("sign-in")).ToBeVisibleAsync();
    }
}
