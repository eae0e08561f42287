using CommandCenter.E2E.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class PricesUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnAdminAddsAPriceWithFiveRatesAndAPromptLengthTierAndAnOperatorCannotOpenThePage()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await Page.GetByTestId("nav-prices").ClickAsync();
        var haiku = Page.GetByTestId("prices-table").Locator("tr", new() { HasText = "claude-haiku-5-5" });
        await Expect(haiku.GetByTestId("price-tier")).ToHaveTextAsync("above 100,000: $0.5 / $0.625 / $1 / $0.05 / $2.5");
        await Expect(haiku.GetByTestId("price-state")).ToHaveTextAsync("in effect");
        var sonnet = Page.GetByTestId("prices-table").Locator("tr", new() { HasText = "claude-sonnet-5-5" }).Filter(new() { HasText = "in effect" });
        await Expect(sonnet.GetByTestId("row-cache-read")).ToHaveTextAsync("$0.1");

        // Half a tier is explained beside the field, and nothing is added.
        var model = $"claude-ui-{Guid.NewGuid():N}"[..24];
        await Page.GetByTestId("price-model").FillAsync(model);
        foreach (var (field, value) in new[] { ("input", "2"), ("cache-write-5m", "2.5"), ("cache-write-1h", "4"), ("cache-read", "0.1"), ("output", "8") })
        {
            await Page.GetByTestId($"price-{field}").FillAsync(value);
        }
        await Page.GetByTestId("price-tier-threshold").FillAsync("100000");
        await Page.GetByTestId("price-add").ClickAsync();
        await Expect(Page.GetByTestId("price-form")).ToContainTextAsync("A prompt-length tier needs its threshold and all five of its rates.");
        await Expect(Page.GetByTestId("prices-table")).Not.ToContainTextAsync(model);

        foreach (var (field, value) in new[] { ("input", "4"), ("cache-write-5m", "5"), ("cache-write-1h", "8"), ("cache-read", "0.2"), ("output", "16") })
        {
            await Page.GetByTestId($"price-tier-{field}").FillAsync(value);
        }
        await Page.GetByTestId("price-add").ClickAsync();
        var added = Page.GetByTestId("prices-table").Locator("tr", new() { HasText = model });
        await Expect(added.GetByTestId("row-cache-read")).ToHaveTextAsync("$0.1");
        await Expect(added.GetByTestId("price-tier")).ToHaveTextAsync("above 100,000: $4 / $5 / $8 / $0.2 / $16");
        await Expect(added.GetByTestId("price-state")).ToHaveTextAsync("in effect");
        var row = await App.Database.SingleAsync("SELECT \"inputPerMTok\", \"cacheReadPerMTok\", \"tierThreshold\", \"tierCacheReadPerMTok\" FROM model_prices WHERE model = $1", model);
        row.Values.ShouldBe([2m, 0.1m, 100_000, 0.2m]);
        await ScreenshotAsync("prices-desktop");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("prices-phone-dark");

        using var operatorUser = await App.NewUserAsync();
        await using var operatorContext = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = App.BaseUrl.ToString() });
        var operatorUi = new ChatPageObject(await operatorContext.NewPageAsync());
        await operatorUi.SignInAsync(operatorUser.Email, operatorUser.Password);
        await Expect(operatorUi.Page.GetByTestId("nav-prices")).ToHaveCountAsync(0);
        await operatorUi.Page.GotoAsync("/prices");
        await Expect(operatorUi.Page.GetByTestId("access-denied")).ToBeVisibleAsync();
    }
}
