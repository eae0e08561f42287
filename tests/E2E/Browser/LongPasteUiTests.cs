using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>
/// A long message pasted into the composer (or the edit box) keeps the page's connection, shows, and is sent once. Typing
/// used to send the whole box to the server on every keystroke, twice over; from 16,384 characters that outgrew SignalR's
/// 32 KiB receive limit, and each key dropped the connection again.
/// </summary>
public sealed class LongPasteUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    private const int PastedLength = 31_000;

    // Only the test that cuts the connection on purpose expects the browser to complain about it.
    private bool _connectionCutOnPurpose;

    protected override bool ConsoleErrorExpected(string text) => _connectionCutOnPurpose;

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task ALongPasteKeepsTheConnectionAndEnterSendsItOnce(int width, int height)
    {
        await Page.SetViewportSizeAsync(width, height);
        var sockets = CountCircuitSockets();
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Read ", "it ", "all."], ChunkDelay = TimeSpan.FromMilliseconds(100) });
        using var _ = user;
        await WatchForReconnectsAsync();
        var pasted = LongText(PastedLength);

        await PasteIntoComposerAsync(ui, pasted);
        await Expect(ui.SendButton).ToBeEnabledAsync();
        await ScreenshotAsync($"long-paste-{width}x{height}");
        // Keys after the paste reach the box, and the connection holds: Backspace and a retyped letter give the same text.
        await Page.Keyboard.PressAsync("Backspace");
        await Page.Keyboard.TypeAsync(pasted[^1..]);
        await Expect(ui.Composer).ToHaveValueAsync(pasted);

        // Enter, and Enter again at once: the second finds the message already taken.
        await Page.Keyboard.PressAsync("Enter");
        await Page.Keyboard.PressAsync("Enter");

        await Expect(ui.Composer).ToHaveValueAsync("");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Read it all.");
        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        await Expect(ui.UserMessages).ToHaveCountAsync(1);
        await ExpectSentOnceAsync(user, pasted);
        await Expect(ui.Composer).ToHaveValueAsync("");
        await Expect(ui.SendButton).ToBeDisabledAsync();
        (await ReconnectsAsync()).ShouldBe(0, "the reconnect dialog showed");
        sockets.Opened.ShouldBe(1, "the page opened a second circuit connection (the first dropped)");
        sockets.Closed.ShouldBe(0);
    }

    [Fact]
    public async Task ALongPasteSentWithTheSendButtonGoesOnce()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Got ", "it."] });
        using var _ = user;
        await WatchForReconnectsAsync();
        var pasted = LongText(PastedLength);

        await PasteIntoComposerAsync(ui, pasted);
        await ui.SendButton.ClickAsync();

        await Expect(ui.Composer).ToHaveValueAsync("");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Got it.");
        await Expect(ui.UserMessages).ToHaveCountAsync(1);
        await ExpectSentOnceAsync(user, pasted);
        (await ReconnectsAsync()).ShouldBe(0, "the reconnect dialog showed");
    }

    [Fact]
    public async Task TypingInALongMessageSendsTheServerOnlyWhetherTheBoxIsEmpty()
    {
        var sent = new ConcurrentQueue<int>();
        Page.WebSocket += (_, socket) => socket.FrameSent += (_, frame) => sent.Enqueue(frame.Binary?.Length ?? Encoding.UTF8.GetByteCount(frame.Text ?? ""));
        var (ui, user, _) = await SignInWithAgentAsync();
        using var _ = user;
        await PasteIntoComposerAsync(ui, LongText(PastedLength));
        await Expect(ui.SendButton).ToBeEnabledAsync();

        sent.Clear();
        await Page.Keyboard.TypeAsync(" and five more words to go");
        // Emptying the box is the one change the server hears of, and it answers by disabling Send: every frame the typing
        // above caused was sent before that answer.
        await Page.Keyboard.PressAsync("ControlOrMeta+A");
        await Page.Keyboard.PressAsync("Delete");
        await Expect(ui.SendButton).ToBeDisabledAsync();

        // 26 keys and a deletion in a 31,000-character box; binding the text sent about 62 KB for each key.
        sent.Sum().ShouldBeLessThan(2_000, $"bytes sent to the server: {string.Join(", ", sent)}");
    }

    [Fact]
    public async Task AMessageOfTheLongestLengthInItsLargestEncodingSends()
    {
        // 32,000 escape characters (terminal output is full of them): each is 6 bytes as JSON (\u001b), the most any
        // character takes, so this is the largest message a page can send over its connection.
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Noted."] });
        using var _ = user;
        await WatchForReconnectsAsync();
        var longest = new string('\u001b', CommandCenter.Services.Streaming.SendMessageRequest.MaxMessageLength);

        await Expect(Page.Locator("[data-testid=composer][data-ready]")).ToHaveCountAsync(1);
        await ui.Composer.FillAsync(longest);
        await ui.Composer.PressAsync("Enter");

        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");
        await ExpectSentOnceAsync(user, longest);
        (await ReconnectsAsync()).ShouldBe(0, "the reconnect dialog showed");
    }

    [Fact]
    public async Task TheLastQuestionEditedToALongTextIsSentOnce()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Short."] });
        using var _ = user;
        await WatchForReconnectsAsync();
        await ui.SendAsync("A short question");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Short.");
        var longer = LongText(PastedLength);

        var question = Page.GetByTestId("user-message").Last;
        await question.HoverAsync();
        await question.GetByTestId("edit-message").ClickAsync();
        var editBox = question.GetByTestId("edit-box");
        await Expect(editBox).ToHaveValueAsync("A short question");
        await Expect(Page.Locator("[data-testid=edit-box][data-ready]")).ToHaveCountAsync(1);
        await editBox.FillAsync("");
        await Expect(question.GetByTestId("edit-send")).ToBeDisabledAsync();
        await editBox.FillAsync(longer);
        await question.GetByTestId("edit-send").ClickAsync();

        await Expect(ui.UserMessages).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("edit-box")).ToHaveCountAsync(0);
        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        var requests = App.Fake.RequestsFor(user.ApiKey!).Where(r => r.Path == "/v1/messages").ToList();
        requests.Count.ShouldBe(2, "the first question, then the edited one");
        LastUserText(requests[1]).ShouldBe(longer);
        (await ReconnectsAsync()).ShouldBe(0, "the reconnect dialog showed");
    }

    [Fact]
    public async Task ALostConnectionShowsTheRejoinDialogWithItsTextAndNeverAnEmptyBox()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Back again."] });
        using var _ = user;
        // Every frame, note whether the dialog is drawn with no text in it (what a fade-out after "hide" used to show).
        await Page.EvaluateAsync("""
            () => {
                window.__emptyDialogFrames = 0;
                const dialog = document.getElementById('components-reconnect-modal');
                const sample = () => {
                    const style = getComputedStyle(dialog);
                    if (style.display !== 'none' && Number(style.opacity) > 0 && dialog.innerText.trim() === '') {
                        window.__emptyDialogFrames++;
                    }
                    requestAnimationFrame(sample);
                };
                requestAnimationFrame(sample);
            }
            """);
        var dialog = Page.Locator("#components-reconnect-modal");

        await CutTheConnectionAsync();
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Rejoin");
        await Expect(dialog).ToHaveCSSAsync("opacity", "1");
        // One line says where it stands (first attempt, or retrying), not both.
        await Expect(dialog.Locator("p:visible")).ToHaveCountAsync(1);
        (await ColoursDifferAsync()).ShouldBeTrue("the dialog's text is the colour of its background");
        await ScreenshotAsync("rejoin-dialog-desktop-light");
        await LetItRejoinAsync();
        await Expect(dialog).ToBeHiddenAsync();

        // The same on a phone in dark mode.
        await Page.SetViewportSizeAsync(390, 844);
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await Expect(Page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(15, 15, 20)");
        await CutTheConnectionAsync();
        await Expect(dialog).ToContainTextAsync("Rejoin");
        // The dark theme's background (MudBlazor paints the dialog with it), with the theme's light text.
        await Expect(dialog).ToHaveCSSAsync("background-color", "rgb(15, 15, 20)");
        await Expect(dialog).ToHaveCSSAsync("opacity", "1");
        (await ColoursDifferAsync()).ShouldBeTrue("the dialog's text is the colour of its background (dark mode)");
        await ScreenshotAsync("rejoin-dialog-phone-dark");
        await LetItRejoinAsync();
        await Expect(dialog).ToBeHiddenAsync();

        // The page goes on where it was.
        await ui.SendAsync("Still there?");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Back again.");
        (await Page.EvaluateAsync<int>("() => window.__emptyDialogFrames")).ShouldBe(0, "frames that drew the dialog without text");
    }

    /// <summary>Closes the circuit's connection and keeps it from coming back until <see cref="LetItRejoinAsync"/>.</summary>
    private async Task CutTheConnectionAsync()
    {
        _connectionCutOnPurpose = true;
        await Page.RouteAsync("**/_blazor/negotiate**", route => route.AbortAsync());
        // What ASP.NET Core's own tests use to drop a circuit's connection from the browser.
        await Page.EvaluateAsync("() => Blazor._internal.forceCloseConnection()");
    }

    private async Task LetItRejoinAsync() => await Page.UnrouteAsync("**/_blazor/negotiate**");

    private Task<bool> ColoursDifferAsync() => Page.EvaluateAsync<bool>("""
        () => {
            const style = getComputedStyle(document.getElementById('components-reconnect-modal'));
            return style.color !== style.backgroundColor;
        }
        """);

    /// <summary>Text of <paramref name="length"/> characters as operators paste it: lines of prose, code and other scripts.</summary>
    private static string LongText(int length)
    {
        var text = new StringBuilder();
        for (var line = 1; text.Length < length; line++)
        {
            text.Append(line % 3 == 0
                ? $"    var total{line} = items.Sum(i => i.Price * 1.2m); // \"quoted\", tab\there\n"
                : $"Line {line}: the logs say café, naïve, Ελληνικά, 日本語 and 🚀 — nothing else.\n");
        }

        // Cut at a character boundary (half of an emoji is not text the box would hold), and end in a full stop.
        var cut = char.IsLowSurrogate(text[length - 1]) ? length - 2 : length - 1;
        return (text.ToString(0, cut) + ".").PadRight(length, '.');
    }

    /// <summary>
    /// Pastes <paramref name="text"/> into the composer from the clipboard, as an operator does (one input event with all of
    /// it). The browser's clipboard is shared by tests running side by side, so a paste that brought another test's copy is
    /// done again.
    /// </summary>
    private async Task PasteIntoComposerAsync(ChatPageObject ui, string text)
    {
        await Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await Expect(Page.Locator("[data-testid=composer][data-ready]")).ToHaveCountAsync(1);
        for (var attempt = 1; ; attempt++)
        {
            await ui.Composer.FillAsync("");
            await ui.Composer.FocusAsync();
            await Page.EvaluateAsync("text => navigator.clipboard.writeText(text)", text);
            await Page.Keyboard.PressAsync("ControlOrMeta+V");
            if (await ui.Composer.InputValueAsync() == text || attempt == 3)
            {
                break;
            }
        }

        await Expect(ui.Composer).ToHaveValueAsync(text);
    }

    /// <summary>One call upstream carrying <paramref name="text"/>, one stored question with it, and one trace.</summary>
    private async Task ExpectSentOnceAsync(TestUser user, string text)
    {
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/c/[^/]+$"));
        var request = App.Fake.RequestsFor(user.ApiKey!).Where(r => r.Path == "/v1/messages").ShouldHaveSingleItem();
        LastUserText(request).ShouldBe(text);
        var traceId = await App.TraceStartedAsync(user.Id);
        (await App.TraceEndedAsync(traceId))["status"].ShouldBe("completed");
        (await App.Database.QueryAsync("SELECT id FROM task_trace WHERE \"ownerId\" = $1", user.Id)).ShouldHaveSingleItem();

        var conversationId = new Uri(Page.Url).AbsolutePath.Split('/')[^1];
        var conversation = await user.Client.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversationId}", TestContext.Current.CancellationToken);
        var questions = conversation.GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "user").ToList();
        questions.ShouldHaveSingleItem().GetProperty("content").GetString().ShouldBe(text);
    }

    /// <summary>The text of the request's last message (a plain string, or text blocks with a cache breakpoint).</summary>
    private static string LastUserText(RecordedRequest request)
    {
        var messages = request.Json.GetProperty("messages");
        var last = messages[messages.GetArrayLength() - 1];
        last.GetProperty("role").GetString().ShouldBe("user");
        var content = last.GetProperty("content");
        return content.ValueKind == JsonValueKind.String
            ? content.GetString()!
            : string.Concat(content.EnumerateArray().Where(b => b.GetProperty("type").GetString() == "text").Select(b => b.GetProperty("text").GetString()));
    }

    /// <summary>Counts how often the reconnect dialog is asked to show from now on (Blazor marks it with a class).</summary>
    private async Task WatchForReconnectsAsync() => await Page.EvaluateAsync("""
        () => {
            window.__reconnects = 0;
            const dialog = document.getElementById('components-reconnect-modal');
            dialog.addEventListener('components-reconnect-state-changed', e => { if (e.detail.state === 'show') window.__reconnects++; });
        }
        """);

    private Task<int> ReconnectsAsync() => Page.EvaluateAsync<int>("() => window.__reconnects");

    /// <summary>The circuit connections (WebSockets to /_blazor) this page opens and closes from now on.</summary>
    private SocketCount CountCircuitSockets()
    {
        var count = new SocketCount();
        Page.WebSocket += (_, socket) =>
        {
            if (socket.Url.Contains("/_blazor"))
            {
                Interlocked.Increment(ref count.Opened);
                socket.Close += (_, _) => Interlocked.Increment(ref count.Closed);
            }
        };
        return count;
    }

    private sealed class SocketCount
    {
        public int Opened;
        public int Closed;
    }
}
