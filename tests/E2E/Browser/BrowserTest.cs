using System.Collections.Concurrent;
using System.Diagnostics;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;

namespace CommandCenter.E2E.Browser;

/// <summary>A fresh browser context and page per test; on failure a screenshot goes to TestResults/screenshots.</summary>
public abstract class BrowserTest(BrowserFixture browser, CommandCenterApp app) : IAsyncLifetime
{
    protected CommandCenterApp App { get; } = app;
    protected IBrowserContext Context { get; private set; } = null!;
    protected IPage Page { get; private set; } = null!;

    // What the browser said and where it went, kept for the failure log: a reloaded page or a dropped circuit shows here.
    private readonly ConcurrentQueue<string> _browserEvents = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<string> _consoleErrors = new();
    private volatile bool _closing;

    // What Blazor's script logs when a call reaches a circuit already disposed (ComponentHub's answer). Seen only as a test
    // ended, with nothing in the app's log; taken, while the pages close, for their own teardown (each page's disconnect
    // crossing its last calls). Before "closing the pages" it still fails the test.
    private const string ClosedCircuitError = "Error: Circuit has been shut down due to error.";

    /// <summary>An error in the browser console this test causes on purpose (a 404 page, a blocked origin); any other fails it.</summary>
    protected virtual bool ConsoleErrorExpected(string text) => false;

    /// <summary>The browser's time zone; the machine's unless a test needs another.</summary>
    protected virtual string? TimezoneId => null;

    /// <summary>Where the browser finds the app: the instance itself, or a proxy in front of it.</summary>
    protected virtual Uri SiteUrl => App.BaseUrl;

    public virtual async ValueTask InitializeAsync()
    {
        Context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = SiteUrl.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, TimezoneId = TimezoneId });
        Context.SetDefaultTimeout(15_000);
        Context.Console += (_, message) =>
        {
            Note($"console.{message.Type}: {message.Text}");
            if (message.Type == "error" && !ConsoleErrorExpected(message.Text) && !(_closing && message.Text.EndsWith(ClosedCircuitError, StringComparison.Ordinal)))
            {
                _consoleErrors.Enqueue(message.Text);
            }
        };
        // What a page copies is noted on the page too: the system clipboard is one for the whole browser, shared by tests running side by side.
        await Context.AddInitScriptAsync("""
            if (navigator.clipboard) {
                const write = navigator.clipboard.writeText.bind(navigator.clipboard);
                navigator.clipboard.writeText = async text => { await write(text); window.__ccCopied = text; };
            }
            """);
        Context.Page += (_, page) => Watch(page);
        Page = await Context.NewPageAsync();
    }

    private void Watch(IPage page)
    {
        page.FrameNavigated += (_, frame) =>
        {
            if (frame.ParentFrame is null)
            {
                Note($"navigated: {frame.Url}");
            }
        };
        page.Load += (_, _) => Note($"loaded: {page.Url}");
        page.WebSocket += (_, socket) => socket.Close += (_, _) => Note($"websocket closed: {socket.Url}");
    }

    private void Note(string line) => _browserEvents.Enqueue($"{_clock.Elapsed.TotalSeconds,7:0.000}s {line}");

    public virtual async ValueTask DisposeAsync()
    {
        var failed = TestContext.Current.TestState?.Result == TestResult.Failed;
        var name = "FAILED-" + TestContext.Current.Test?.TestDisplayName;
        var screenshot = failed || !_consoleErrors.IsEmpty ? await ScreenshotAsync(name) : null;

        // Closing the pages ends their circuits, which may log an error of its own.
        Note("closing the pages");
        _closing = true;
        await Context.DisposeAsync();
        GC.SuppressFinalize(this);
        if (failed || !_consoleErrors.IsEmpty)
        {
            // The app's warnings and errors beside the picture (a broken circuit shows up there, not in the browser), then the
            // browser's own account. scripts/test.sh prints these files after a failed run.
            await File.WriteAllLinesAsync(Path.ChangeExtension(screenshot ?? Path.Combine(ScreenshotFolder, ScreenshotFile(name)), ".log"), [
                "== app warnings and errors",
                .. App.Logs.Lines.Where(l => l.StartsWith("Warning") || l.StartsWith("Error") || l.StartsWith("Critical")),
                "== browser",
                .. _browserEvents,
            ]);
        }

        if (!failed && !_consoleErrors.IsEmpty)
        {
            // A page that works but logs errors is not done: the browser console stays clean.
            throw new InvalidOperationException("The browser console logged errors: " + string.Join(" | ", _consoleErrors));
        }
    }

    /// <summary>Waits until the page has copied <paramref name="expected"/> (trailing whitespace aside) to the clipboard.</summary>
    protected async Task ExpectCopiedAsync(string expected)
    {
        try
        {
            await Page.WaitForFunctionAsync("text => window.__ccCopied?.trimEnd() === text", expected.TrimEnd(), new PageWaitForFunctionOptions { Timeout = 10_000 });
        }
        catch (PlaywrightException)
        {
            (await Page.EvaluateAsync<string?>("() => window.__ccCopied ?? null")).ShouldBe(expected, "what the page copied");
        }
    }

    /// <summary>A new operator with their own key (answered by <paramref name="scenario"/>) and a new agent, signed in.</summary>
    protected async Task<(ChatPageObject Ui, TestUser User, string AgentName)> SignInWithAgentAsync(FakeScenario? scenario = null, bool chooseAgent = true)
    {
        var key = CommandCenterApp.NewApiKey();
        App.Fake.SetScenario(key, scenario ?? new FakeScenario());
        var user = await App.NewUserAsync(apiKey: key);
        var agentId = await App.CreateAgentAsync();
        var agentName = (string)(await App.Database.SingleAsync("SELECT name FROM agents WHERE id = $1", agentId))["name"]!;
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        if (chooseAgent)
        {
            await ui.ChooseAgentAsync(agentName);
        }

        return (ui, user, agentName);
    }

    /// <summary>The elements that reach past the screen's right edge, to name in a failure.</summary>
    protected Task<string> WiderThanTheScreenAsync() => Page.EvaluateAsync<string>("""
        () => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .slice(0, 8)
            .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} right=${e.getBoundingClientRect().right}`)
            .join('; ')
        """);

    /// <summary>How many lines the text of <paramref name="element"/> takes on the screen (boxes whose heights overlap share a line).</summary>
    protected static Task<int> LinesAsync(ILocator element) => element.EvaluateAsync<int>("""
        element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            const lines = [];
            for (const r of range.getClientRects()) {
                if (r.width > 0 && !lines.some(l => r.top < l.bottom - 2 && r.bottom > l.top + 2)) lines.push({ top: r.top, bottom: r.bottom });
            }
            return lines.length;
        }
        """);

    /// <summary>Saves a full-page screenshot under TestResults/screenshots and returns its path.</summary>
    protected async Task<string> ScreenshotAsync(string name, IPage? page = null)
    {
        var file = Path.Combine(ScreenshotFolder, ScreenshotFile(name));
        await (page ?? Page).ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        return file;
    }

    private static string ScreenshotFile(string name) => string.Concat(name.Split(Path.GetInvalidFileNameChars())).Replace(' ', '_') + ".png";

    private static string ScreenshotFolder
    {
        get
        {
            var folder = Environment.GetEnvironmentVariable("CC_SCREENSHOTS");
            if (folder is null)
            {
                var root = new DirectoryInfo(AppContext.BaseDirectory);
                while (root is not null && !File.Exists(Path.Combine(root.FullName, "CommandCenter.sln")))
                {
                    root = root.Parent;
                }

                folder = Path.Combine(root?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
            }

            Directory.CreateDirectory(folder);
            return folder;
        }
    }
}
