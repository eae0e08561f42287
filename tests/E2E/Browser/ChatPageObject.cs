using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>The app as an operator sees it, by role and test id.</summary>
public sealed class ChatPageObject(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator Composer => Page.GetByTestId("composer");
    public ILocator SendButton => Page.GetByTestId("send");
    public ILocator StopButton => Page.GetByTestId("stop");
    /// <summary>The text of each of the operator's messages (not the time beside it).</summary>
    public ILocator UserMessages => Page.GetByTestId("user-message").GetByTestId("user-text");
    public ILocator Replies => Page.GetByTestId("assistant-message");
    public ILocator LastReply => Replies.Last;
    public ILocator LastReplyText => LastReply.GetByTestId("reply-text");
    public ILocator NoKeyBanner => Page.GetByTestId("no-key-banner");
    public ILocator Conversations => Page.GetByTestId("conversation-item");

    public async Task SignInAsync(string email, string password)
    {
        await Page.GotoAsync("/Account/Login");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByTestId("sign-in").ClickAsync();
        await Expect(Page.GetByTestId("user-menu")).ToBeVisibleAsync();
        await WaitUntilInteractiveAsync();
    }

    /// <summary>Blazor's circuit is up: the layout marks the body once it has rendered interactively.</summary>
    public async Task WaitUntilInteractiveAsync() => await Expect(Page.Locator("body[data-interactive]")).ToHaveCountAsync(1);

    /// <summary>Opens a page of the app and waits for its circuit.</summary>
    public async Task GotoAsync(string path)
    {
        await Page.GotoAsync(path);
        await WaitUntilInteractiveAsync();
    }

    public async Task ChooseAgentAsync(string name)
    {
        await Page.GetByTestId("agent-picker").ClickAsync();
        await Page.GetByRole(AriaRole.Option).Filter(new LocatorFilterOptions { HasText = name }).ClickAsync();
        // MudBlazor puts the test id on the select's input element.
        await Expect(Page.GetByTestId("agent-picker")).ToHaveValueAsync(name);
    }

    public async Task SendAsync(string text)
    {
        // Enter works once the page has attached its key handler.
        await Expect(Page.Locator("[data-testid=composer][data-ready]")).ToHaveCountAsync(1);
        await Composer.FillAsync(text);
        await Composer.PressAsync("Enter");
    }
}
