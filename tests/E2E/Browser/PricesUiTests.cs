using CommandCenter.E2E.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class PricesUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnAdminAddsAPriceWithALongContextTierAndAnOperatorCannotOpenThePage()
    {
        var ui = new CommandCenterPage(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await Page.GetByTestId("nav-prices").ClickAsync();
        var sonnet = Page.GetByTestId("prices-table").Locator("tr", new() { HasText = "claude-sonnet-4-5" });
        await Expect(sonnet).ToContainTextAsync("above 200,000: $6 / $22.5");
        await Expect(sonnet.GetByTestId("price-state")).ToHaveTextAsync("in effect");

        // Half a tier is explained beside the field, and nothing is added.
        var model = $"claude-ui-{Guid.NewGuid():N}"[..24];
        await Page.GetByTestId("price-model").FillAsync(model);
        await Page.GetByTestId("price-input").FillAsync("2");
        await Page.GetByTestId("price-output").FillAsync("8");
        await Page.GetByTestId("price-tier-threshold").FillAsync("100000");
        await Page.GetByTestId("price-add").ClickAsync();
        await Expect(Page.GetByTestId("price-form")).ToContainTextAsync("A long-context tier needs its threshold and both its prices.");
        await Expect(Page.GetByTestId("prices-table")).Not.ToContainTextAsync(model);

        await Page.GetByTestId("price-tier-input").FillAsync("4");
        await Page.GetByTestId("price-tier-output").FillAsync("16");
        await Page.GetByTestId("price-add").ClickAsync();
        var added = Page.GetByTestId("prices-table").Locator("tr", new() { HasText = model });
        await Expect(added).ToContainTextAsync("$2");
        await Expect(added).ToContainTextAsync("above 100,000: $4 / $16");
        await Expect(added.GetByTestId("price-state")).ToHaveTextAsync("in effect");
        var row = await App.Database.SingleAsync("SELECT \"inputPerMTok\", \"longContextThreshold\" FROM model_prices WHERE model = $1", model);
        (row["inputPerMTok"], row["longContextThreshold"]).ShouldBe(((object?)2m, (object?)100_000));
        await ScreenshotAsync("prices-desktop");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("prices-phone-dark");

        using var operatorUser = await App.NewUserAsync();
        await using var operatorContext = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = App.BaseUrl.ToString() });
        var operatorUi = new CommandCenterPage(await operatorContext.NewPageAsync());
        await operatorUi.SignInAsync(operatorUser.Email, operatorUser.Password);
        await Expect(operatorUi.Page.GetByTestId("nav-prices")).ToHaveCountAsync(0);
        await operatorUi.Page.GotoAsync("/prices");
        await Expect(operatorUi.Page.GetByTestId("access-denied")).ToBeVisibleAsync();
    }
}
