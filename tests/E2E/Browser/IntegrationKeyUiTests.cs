using CommandCenter.E2E.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class IntegrationKeyUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnOperatorCreatesAKeySeesItOnceUsesItAndRevokesIt()
    {
        using var user = await App.NewUserAsync();
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await ui.GotoAsync("/settings");
        var panel = Page.GetByTestId("integration-keys");
        await Expect(panel).ToContainTextAsync("No keys yet.");

        // A bad rate is explained beside its field; nothing is created.
        await Page.GetByTestId("integration-key-name").FillAsync("Support widget");
        await Page.GetByTestId("integration-key-rate").FillAsync("0");
        await Page.GetByTestId("integration-key-create").ClickAsync();
        await Expect(panel).ToContainTextAsync("The rate limit must be between 1 and 100,000 messages a minute");
        await Expect(panel).ToContainTextAsync("No keys yet.");

        await Page.GetByTestId("integration-key-rate").FillAsync("30");
        await Page.GetByTestId("integration-key-budget").FillAsync("5");
        await Page.GetByTestId("integration-key-create").ClickAsync();
        var secret = await Page.GetByTestId("integration-key-secret").TextContentAsync();
        secret.ShouldNotBeNull().ShouldStartWith("cc_");
        var row = Page.GetByTestId("integration-keys-table").Locator("tr", new() { HasText = "Support widget" });
        await Expect(row).ToContainTextAsync(secret[..9] + "…");
        await Expect(row).ToContainTextAsync("$5.000000 left of $5.000000");
        await Expect(row).ToContainTextAsync("30/min");
        await Expect(row).ToContainTextAsync("never");
        await ScreenshotAsync("integration-keys-desktop");

        // The key works until it is revoked; after a reload it is never shown again.
        using var viaKey = App.CreateClient();
        viaKey.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        (await viaKey.GetAsync("/api/agents", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        await ui.GotoAsync("/settings");
        await Expect(Page.GetByTestId("integration-key-secret")).ToHaveCountAsync(0);
        await Expect(Page.Locator("body")).Not.ToContainTextAsync(secret[9..]);
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("integration-keys-phone");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await ScreenshotAsync("integration-keys-phone-dark");

        await Page.GetByTestId("integration-key-revoke").ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Expect(panel).ToContainTextAsync("No keys yet.");
        (await viaKey.GetAsync("/api/agents", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
    }
}
