using System.Text.RegularExpressions;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class PhoneLayoutUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/usage")]
    [InlineData("/traces")]
    [InlineData("/settings")]
    [InlineData("/budgets")]
    [InlineData("/prices")]
    public async Task OnAPhoneNoPageNorItsAppBarIsWiderThanTheScreenAndTheAccountMenuOpens(string path)
    {
        // Pages with something to show: a chart, a table row and a trace are what can be too wide.
        var admin = (string)(await App.Database.SingleAsync("SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"Email\" = $1", CommandCenterApp.AdminEmail))["Id"]!;
        var agent = await App.CreateAgentAsync();
        // A long name with no space to break at, as generated names are: the usage chart's legend must still fit.
        await App.Database.QueryAsync("UPDATE agents SET name = 'Agent' || id || id WHERE id = $1", agent);
        await App.Database.InsertAsync(new(admin, agent, "claude-sonnet-4-6", DateTimeOffset.UtcNow, "success", 0.000315m, Input: 45, Output: 12));
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await Page.SetViewportSizeAsync(390, 844);
        await ui.GotoAsync(path);
        // Measured once the page has loaded what it shows, not while a progress bar stands in for it.
        await Expect(Page.Locator(".mud-progress-linear")).ToHaveCountAsync(0);

        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, $"{path} scrolls sideways on a phone: {await WiderThanTheScreenAsync()}");
        // Everything in the app bar is on the screen: the account button too, not pushed past its edge by the email.
        var account = (await Page.Locator(".cc-user-menu button").First.BoundingBoxAsync()).ShouldNotBeNull();
        (account.X + account.Width).ShouldBeLessThanOrEqualTo(390);
        await Page.GetByTestId("user-menu").ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Menuitem, new() { Name = "Settings" })).ToBeVisibleAsync();
        await ScreenshotAsync($"phone{path.Replace('/', '-')}");
    }

    [Fact]
    public async Task OnAPhoneTheNavigationOpensOverATraceWhoseIdsStayWholeOnOneLine()
    {
        // Anthropic's ids as they come: no space or hyphen to break at.
        const string RequestId = "req_011CVbQ3K8ZLWmHMJ8p2G7Xr", MessageId = "msg_01XFDUDYJgAACzvnptvVoYEL";
        using var user = await App.NewUserAsync();
        var agent = await App.CreateAgentAsync();
        var trace = await App.Database.InsertAsync(new(user.Id, agent, "claude-sonnet-4-6", DateTimeOffset.UtcNow, "success", 0.000315m, Input: 45, Output: 12));
        await App.Database.QueryAsync(
            "UPDATE trace_sessions SET \"upstreamRequestId\" = $2, \"upstreamMessageId\" = $3, \"stopReason\" = 'end_turn' WHERE \"taskTraceId\" = $1",
            trace, RequestId, MessageId);
        var circuit = await CircuitGate.RouteAsync(Page);
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await Page.SetViewportSizeAsync(1440, 900);
        await ui.GotoAsync($"/traces/{trace}");
        await Expect(Page.GetByTestId("trace-request-id")).ToHaveTextAsync(RequestId);
        await Page.GetByTestId("theme-toggle").ClickAsync();
        var drawer = Page.Locator(".cc-drawer");
        var toggle = Page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" });

        // Opened on a desktop, where the navigation stands beside the page; then the window is a phone's. Until the circuit
        // has heard the new width (held here, so the moment lasts), the page still has the whole screen: it was squeezed
        // into the 150 px the drawer left, an id a character a line.
        await toggle.ClickAsync();
        await Expect(drawer).ToHaveClassAsync(new Regex("mud-drawer--open"));
        circuit.Hold();
        await Page.SetViewportSizeAsync(390, 844);
        var page = (await Page.Locator(".cc-page").BoundingBoxAsync()).ShouldNotBeNull();
        await ScreenshotAsync("phone-trace-just-narrowed");
        (page.X, page.Width).ShouldBe((0f, 390f), "the page's place and width just after the window narrowed");
        await ExpectIdsWholeOnOneLineAsync();
        circuit.Release();

        // On the phone the navigation opens over the page, which keeps its place and width.
        await Expect(drawer).ToHaveClassAsync(new Regex("mud-drawer-temporary"));
        await Expect(drawer).ToHaveClassAsync(new Regex("mud-drawer--closed"));
        await toggle.ClickAsync();
        await Expect(drawer).ToHaveClassAsync(new Regex("mud-drawer--open"));
        await Expect(drawer.GetByText("Traces")).ToBeVisibleAsync();
        var under = (await Page.Locator(".cc-page").BoundingBoxAsync()).ShouldNotBeNull();
        (under.X, under.Width).ShouldBe((0f, 390f), "the page's place and width under the open navigation");
        await ExpectIdsWholeOnOneLineAsync();
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("phone-trace-navigation-open");

        // A tap beside it closes it, as the conversations list closes; so does a choice in it.
        await Page.Mouse.ClickAsync(370, 600);
        await Expect(drawer).ToHaveClassAsync(new Regex("mud-drawer--closed"));
        await ScreenshotAsync("phone-trace");
        await toggle.ClickAsync();
        await Expect(drawer).ToHaveClassAsync(new Regex("mud-drawer--open"));
        await drawer.GetByText("Traces").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/traces$"));
        await Expect(drawer).ToHaveClassAsync(new Regex("mud-drawer--closed"));

        async Task ExpectIdsWholeOnOneLineAsync()
        {
            foreach (var (id, value) in new[] { ("trace-id", trace), ("trace-request-id", RequestId), ("trace-message-id", MessageId) })
            {
                var element = Page.GetByTestId(id);
                (await LinesAsync(element)).ShouldBe(1, $"{id} on one line");
                (await element.TextContentAsync()).ShouldNotBeNull().Trim().ShouldBe(value);
                // On a phone's width all of it shows; were it cut, its title would hold it.
                (await element.EvaluateAsync<bool>("e => e.scrollWidth <= e.clientWidth")).ShouldBeTrue($"{id} shown whole");
            }
        }
    }

    [Fact]
    public async Task OnAPhoneTheConversationsOpenOverTheChatAndCloseOnAChoice()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Noted."] });
        using var _ = user;
        await ui.SendAsync("Remember the milk");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");
        var first = Page.Url;
        await Page.SetViewportSizeAsync(390, 844);
        var sidebar = Page.GetByTestId("conversation-sidebar");
        await Expect(sidebar).ToBeHiddenAsync();

        // A new conversation from the list, then back to the first one.
        await Page.GetByTestId("conversations-toggle").ClickAsync();
        await Expect(sidebar).ToBeVisibleAsync();
        await ScreenshotAsync("phone-conversations-open");
        await Page.GetByTestId("new-conversation").ClickAsync();
        await Expect(sidebar).ToBeHiddenAsync();
        await Expect(ui.Replies).ToHaveCountAsync(0);

        await Page.GetByTestId("conversations-toggle").ClickAsync();
        await ui.Conversations.Filter(new() { HasText = "Remember the milk" }).Locator("button").First.ClickAsync();
        await Expect(Page).ToHaveURLAsync(first);
        await Expect(sidebar).ToBeHiddenAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");

        // A tap beside the list closes it too.
        await Page.GetByTestId("conversations-toggle").ClickAsync();
        await Expect(sidebar).ToBeVisibleAsync();
        await Page.Mouse.ClickAsync(370, 400);
        await Expect(sidebar).ToBeHiddenAsync();
    }

    [Fact]
    public async Task OnAPhoneTheHeaderIsCompactAndTheMessageBoxStaysInViewWhenTheKeyboardOpens()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Noted."] });
        using var _ = user;
        await Page.SetViewportSizeAsync(390, 844);
        await ui.SendAsync("Remember the milk");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");

        // The conversations button beside the agent, whose model and price take one line.
        var toggle = (await Page.GetByTestId("conversations-toggle").BoundingBoxAsync()).ShouldNotBeNull();
        var picker = (await Page.GetByTestId("agent-picker").BoundingBoxAsync()).ShouldNotBeNull();
        (toggle.Y + toggle.Height / 2).ShouldBeInRange(picker.Y, picker.Y + picker.Height);
        var help = (await Page.Locator(".cc-agent-picker .mud-input-helper-text").BoundingBoxAsync()).ShouldNotBeNull();
        help.Height.ShouldBeLessThan(24);
        var header = (await Page.Locator(".cc-chat-header").BoundingBoxAsync()).ShouldNotBeNull();
        header.Height.ShouldBeLessThan(150);

        // An on-screen keyboard shrinks the page (the viewport asks for it), so the box stays above it and the page itself does not scroll.
        (await Page.Locator("meta[name=viewport]").GetAttributeAsync("content")).ShouldNotBeNull().ShouldContain("interactive-widget=resizes-content");
        await ui.Composer.FocusAsync();
        await Page.SetViewportSizeAsync(390, 420);
        var box = (await ui.Composer.BoundingBoxAsync()).ShouldNotBeNull();
        (box.Y + box.Height).ShouldBeLessThanOrEqualTo(420);
        box.Y.ShouldBeGreaterThan(0);
        (await Page.EvaluateAsync<int>("document.scrollingElement.scrollHeight")).ShouldBeLessThanOrEqualTo(420);
        await Expect(ui.LastReplyText).ToBeInViewportAsync();
        await ScreenshotAsync("phone-keyboard-open");
    }

    /// <summary>
    /// Holds what a page's circuit sends the server (a new screen width among it) while <see cref="Hold"/> is in force:
    /// the moment between a change in the browser and the server's answer, made to last for a measurement.
    /// </summary>
    private sealed class CircuitGate
    {
        private readonly Lock _lock = new();
        private readonly List<(IWebSocketRoute Server, IWebSocketFrame Frame)> _held = [];
        private bool _holding;

        public static async Task<CircuitGate> RouteAsync(IPage page)
        {
            var gate = new CircuitGate();
            await page.RouteWebSocketAsync(new Regex("/_blazor"), socket =>
            {
                var server = socket.ConnectToServer();
                socket.OnMessage(frame => gate.Pass(server, frame));
            });
            return gate;
        }

        public void Hold()
        {
            lock (_lock)
            {
                _holding = true;
            }
        }

        public void Release()
        {
            lock (_lock)
            {
                _holding = false;
                foreach (var (server, frame) in _held)
                {
                    Send(server, frame);
                }

                _held.Clear();
            }
        }

        private void Pass(IWebSocketRoute server, IWebSocketFrame frame)
        {
            lock (_lock)
            {
                if (_holding)
                {
                    _held.Add((server, frame));
                }
                else
                {
                    Send(server, frame);
                }
            }
        }

        private static void Send(IWebSocketRoute server, IWebSocketFrame frame)
        {
            if (frame.Binary is { } binary)
            {
                server.Send(binary);
            }
            else
            {
                server.Send(frame.Text!);
            }
        }
    }
}
