using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>What people coming from Claude.ai expect of a chat: copy, times on hover, long pastes folded, a way back to the newest text.</summary>
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

    [Fact]
    public async Task ALongQuestionIsFoldedAndShowMoreUnfoldsItFromTheKeyboard()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Read ", "it."] });
        using var _ = user;
        await Page.SetViewportSizeAsync(1440, 900);
        var pasted = string.Join('\n', Enumerable.Range(1, 40).Select(i => $"Line {i} of a long paste"));
        await ui.SendAsync(pasted);
        await Expect(ui.LastReplyText).ToHaveTextAsync("Read it.");

        var text = Page.GetByTestId("user-text");
        var toggle = Page.GetByTestId("show-more");
        await Expect(text).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("cc-collapsed"));
        await Expect(toggle).ToHaveTextAsync("Show more");
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
        var folded = (await text.BoundingBoxAsync())!.Height;
        folded.ShouldBeLessThan(200, "folded to its first lines");
        (await text.EvaluateAsync<bool>("t => t.scrollHeight > t.clientHeight + 400")).ShouldBeTrue("the rest is there, out of view");
        await Page.Mouse.MoveAsync(0, 0);
        await ScreenshotAsync("long-question-folded-desktop");

        // Reached with Tab (here backwards from the message box), opened with Enter, closed with Space.
        await ui.Composer.FocusAsync();
        for (var i = 0; i < 10 && await Page.EvaluateAsync<string?>("() => document.activeElement?.dataset.testid ?? null") != "show-more"; i++)
        {
            await Page.Keyboard.PressAsync("Shift+Tab");
        }

        await Expect(toggle).ToBeFocusedAsync();
        await Page.Keyboard.PressAsync("Enter");
        await Expect(toggle).ToHaveTextAsync("Show less");
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(text).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("cc-collapsed"));
        (await text.BoundingBoxAsync())!.Height.ShouldBeGreaterThan(folded + 400);
        await Page.Keyboard.PressAsync(" ");
        await Expect(toggle).ToHaveTextAsync("Show more");
        (await text.BoundingBoxAsync())!.Height.ShouldBe(folded, 1);

        // Reloaded at phone size: MudBlazor leaves a closed tooltip (shown while tabbing) where it last stood, so a desktop
        // page narrowed in place measures wider than the phone's screen.
        await Page.SetViewportSizeAsync(390, 844);
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(toggle).ToHaveTextAsync("Show more");
        (await text.BoundingBoxAsync())!.Height.ShouldBeLessThan(200, "folded on a phone too");
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("long-question-folded-phone");
    }

    [Fact]
    public async Task TheHoverFooterLeavesNoEmptyBandUnderQuestionsOrRepliesOnADesktopOrATouchScreen()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Noted."] });
        using var _ = user;
        await Page.SetViewportSizeAsync(1440, 900);
        await ui.SendAsync("Remember this");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");
        await Expect(ui.LastReply.GetByTestId("cost-line")).ToBeVisibleAsync();
        var question = Page.GetByTestId("user-message");
        var questionFooter = question.GetByTestId("user-footer");
        var replyFooter = ui.LastReply.GetByTestId("reply-footer");

        await Page.Mouse.MoveAsync(0, 0);
        await Expect(questionFooter).ToHaveCSSAsync("opacity", "0");
        await Expect(replyFooter).ToHaveCSSAsync("opacity", "0");
        var before = await BandAsync(question);
        before.Band.ShouldBeLessThanOrEqualTo(1, "the bubble is its text and padding");
        var replyBefore = await BandAsync(ui.LastReply);
        replyBefore.Band.ShouldBeLessThanOrEqualTo(1, "the reply's bubble ends with its cost line");

        await question.GetByTestId("user-text").HoverAsync();
        await Expect(questionFooter).ToHaveCSSAsync("opacity", "1");
        (await BandAsync(question)).ShouldBe(before, "showing the time moves nothing");
        var bubble = (await question.Locator(".cc-bubble").BoundingBoxAsync())!;
        var shown = (await question.GetByTestId("message-time").BoundingBoxAsync())!;
        (shown.X + shown.Width).ShouldBeLessThanOrEqualTo(bubble.X, "beside the bubble");
        (shown.Y + shown.Height).ShouldBeLessThanOrEqualTo(bubble.Y + bubble.Height + 1);
        await ScreenshotAsync("time-beside-question-desktop");

        // A reply's footer floats on its bubble's bottom edge: shown, it moves nothing and hides no text.
        await ui.LastReplyText.HoverAsync();
        await Expect(replyFooter).ToHaveCSSAsync("opacity", "1");
        (await BandAsync(ui.LastReply)).ShouldBe(replyBefore, "showing the footer moves nothing");
        var replyBubble = (await ui.LastReply.Locator(".cc-bubble").BoundingBoxAsync())!;
        var footer = (await replyFooter.BoundingBoxAsync())!;
        var cost = (await ui.LastReply.GetByTestId("cost-line").BoundingBoxAsync())!;
        footer.Y.ShouldBeLessThan(replyBubble.Y + replyBubble.Height, "on the bubble's edge");
        (footer.Y + footer.Height).ShouldBeGreaterThan(replyBubble.Y + replyBubble.Height);
        footer.Y.ShouldBeGreaterThanOrEqualTo(cost.Y + cost.Height - 2, "below the cost line, not over it");
        (await ui.LastReply.GetByTestId("copy-reply").IsVisibleAsync()).ShouldBeTrue();
        await ScreenshotAsync("reply-footer-on-hover-desktop");

        // A touch screen has no hover: the footers are always shown, in the flow, still with no empty band.
        await using var touch = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.BaseUrl.ToString(), ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, TimezoneId = TimezoneId,
        });
        var phone = await touch.NewPageAsync();
        var onPhone = new ChatPageObject(phone);
        await onPhone.SignInAsync(user.Email, user.Password);
        await onPhone.GotoAsync(new Uri(Page.Url).AbsolutePath);
        await Expect(onPhone.LastReplyText).ToHaveTextAsync("Noted.");
        (await phone.EvaluateAsync<bool>("() => matchMedia('(hover: none)').matches")).ShouldBeTrue();
        var phoneQuestion = phone.GetByTestId("user-message");
        await Expect(phoneQuestion.GetByTestId("user-footer")).ToHaveCSSAsync("opacity", "1");
        await Expect(phoneQuestion.GetByTestId("message-time")).ToBeInViewportAsync();
        await Expect(onPhone.LastReply.GetByTestId("reply-footer")).ToHaveCSSAsync("opacity", "1");
        await Expect(onPhone.LastReply.GetByTestId("copy-reply")).ToBeInViewportAsync();
        (await BandAsync(phoneQuestion)).Band.ShouldBeLessThanOrEqualTo(1);
        (await BandAsync(onPhone.LastReply)).Band.ShouldBeLessThanOrEqualTo(1);
        (await phone.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390);
        await ScreenshotAsync("footers-touch-phone", phone);
    }

    /// <summary>
    /// How tall a message's bubble is, and how much of that is below the last of its content that shows and above its padding: an
    /// empty band, such as one kept for a hidden footer.
    /// </summary>
    private static async Task<(double Height, double Band)> BandAsync(ILocator message)
    {
        var measured = await message.EvaluateAsync<double[]>("""
            m => {
                const bubble = m.querySelector('.cc-bubble');
                const style = getComputedStyle(bubble);
                const box = bubble.getBoundingClientRect();
                const hidden = f => ['0', ''].includes(getComputedStyle(f).opacity) || getComputedStyle(f).position === 'absolute';
                const bottoms = [...bubble.querySelectorAll('*')]
                    .filter(e => e.getBoundingClientRect().height > 0 && !(e.closest('.cc-message-footer') && hidden(e.closest('.cc-message-footer'))))
                    .map(e => e.getBoundingClientRect().bottom);
                return [box.height, box.bottom - parseFloat(style.borderBottomWidth) - parseFloat(style.paddingBottom) - Math.max(...bottoms)];
            }
            """);
        return (measured[0], measured[1]);
    }
}
