using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>What people coming from Claude.ai expect of a chat: copy, times on hover, a way back to the newest text.</summary>
public sealed class ChatConveniencesUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    // Half an hour off UTC: a time shown in the server's zone instead of the browser's cannot pass for it.
    protected override string? TimezoneId => "Australia/Adelaide";

    [Fact]
    public async Task TheReplyCopiesAsMarkdownAndACodeBlockCopiesItsCode()
    {
        await Context.GrantPermissionsAsync(["clipboard-write"]);
        const string reply = "Run this:\n\n```python\n# greet\nprint('hi')\n```\n\nThat is **all**.";
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = [reply] });
        using var _ = user;
        await ui.SendAsync("How do I print?");
        await Expect(ui.LastReplyText).ToContainTextAsync("That is all.");

        await ui.LastReply.HoverAsync();
        await ui.LastReply.GetByTestId("copy-reply").ClickAsync();
        await Expect(ui.LastReply.GetByTestId("copy-reply")).ToHaveAttributeAsync("aria-label", "Copy reply");
        await ExpectCopiedAsync(reply);

        // Highlighted: a colour per token kind, on the page's own stylesheet.
        var code = ui.LastReply.Locator("pre code.language-python");
        await Expect(code.Locator(".comment")).ToHaveTextAsync("# greet");
        await Expect(code.Locator(".string")).ToHaveTextAsync("'hi'");
        (await code.Locator(".string").EvaluateAsync<string>("e => getComputedStyle(e).color")).ShouldNotBe(await code.EvaluateAsync<string>("e => getComputedStyle(e).color"));
        await ScreenshotAsync("code-highlighted");

        var copyCode = ui.LastReply.Locator(".cc-copy-code");
        await copyCode.ClickAsync();
        await Expect(copyCode).ToHaveTextAsync("Copied");
        await ExpectCopiedAsync("# greet\nprint('hi')");
    }

    [Fact]
    public async Task EachMessageShowsWhenItWasWrittenInTheBrowsersTimeZone()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Noted."] });
        using var _ = user;
        (await Page.EvaluateAsync<string>("Intl.DateTimeFormat().resolvedOptions().timeZone")).ShouldBe(TimezoneId);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await ui.SendAsync("Remember this");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");

        foreach (var time in await Page.GetByTestId("message-time").AllAsync())
        {
            var written = DateTimeOffset.Parse((await time.GetAttributeAsync("datetime"))!, System.Globalization.CultureInfo.InvariantCulture);
            written.ShouldBeInRange(before, DateTimeOffset.UtcNow.AddSeconds(5));
            var local = await time.EvaluateAsync<string>("t => new Date(t.dateTime).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })");
            (await time.TextContentAsync()).ShouldBe(local);
        }

        await Expect(Page.GetByTestId("message-time")).ToHaveCountAsync(2);
        // After a reload the stored times are shown, in the browser's zone too (learnt after they first render).
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(Page.GetByTestId("message-time")).ToHaveCountAsync(2);
        foreach (var time in await Page.GetByTestId("message-time").AllAsync())
        {
            var local = await time.EvaluateAsync<string>("t => new Date(t.dateTime).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })");
            await Expect(time).ToHaveTextAsync(local);
        }
    }

    [Fact]
    public async Task ScrolledUpDuringAReplyTheNewTextDoesNotPullTheOperatorDownAndJumpToLatestDoes()
    {
        var release = new TaskCompletionSource();
        var paragraphs = Enumerable.Range(1, 80).Select(i => $"Paragraph {i} of a long answer.\n\n").ToArray();
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = paragraphs, HoldAfterChunks = 40, HoldUntil = release.Task });
        using var _ = user;
        await ui.SendAsync("Write a lot");
        await Expect(ui.LastReplyText).ToContainTextAsync("Paragraph 40 of");
        var messages = Page.GetByTestId("messages");
        var jump = Page.GetByTestId("jump-to-latest");
        await Expect(jump).ToBeHiddenAsync();

        await messages.EvaluateAsync("m => m.scrollTop = 0");
        await Expect(jump).ToBeVisibleAsync();
        release.SetResult();
        await Expect(ui.LastReplyText).ToContainTextAsync("Paragraph 80 of");
        (await messages.EvaluateAsync<double>("m => m.scrollTop")).ShouldBeLessThan(50, "the operator reading above is left where they are");
        await ScreenshotAsync("jump-to-latest");

        await jump.ClickAsync();
        await Expect(jump).ToBeHiddenAsync();
        (await messages.EvaluateAsync<double>("m => m.scrollHeight - m.scrollTop - m.clientHeight")).ShouldBeLessThan(2);
    }
}
