using CommandCenter.E2E.Infrastructure;
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
        var ui = new CommandCenterPage(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await Page.SetViewportSizeAsync(390, 844);
        await ui.GotoAsync(path);

        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, $"{path} scrolls sideways on a phone");
        // Everything in the app bar is on the screen: the account button too, not pushed past its edge by the email.
        var account = (await Page.Locator(".cc-user-menu button").First.BoundingBoxAsync()).ShouldNotBeNull();
        (account.X + account.Width).ShouldBeLessThanOrEqualTo(390);
        await Page.GetByTestId("user-menu").ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Menuitem, new() { Name = "Settings" })).ToBeVisibleAsync();
        await ScreenshotAsync($"phone{path.Replace('/', '-')}");
    }
}
