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
}
