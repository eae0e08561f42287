using CommandCenter.E2E.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class UsageUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnOperatorSeesTheirSpendPerDayAndAgentAndDownloadsTheSameRows()
    {
        using var ada = await App.NewUserAsync();
        using var bob = await App.NewUserAsync();
        var writer = await App.CreateAgentAsync(model: "claude-sonnet-4-6");
        var helper = await App.CreateAgentAsync(model: "claude-haiku-4-5");
        var today = new DateTimeOffset(DateTime.UtcNow.Date.AddHours(12), TimeSpan.Zero);
        await App.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", today, "success", 0.000315m, Input: 45, Output: 12));
        await App.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", today.AddDays(-2), "cancelled", 0.001234m, Input: 100, Output: 62, CostEstimated: true));
        await App.Database.InsertAsync(new(ada.Id, helper, "claude-haiku-4-5", today.AddDays(-2), "failed", 0.000020m, Input: 20));
        await App.Database.InsertAsync(new(bob.Id, writer, "claude-sonnet-4-6", today, "success", 5m, Input: 1, Output: 1));

        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(ada.Email, ada.Password);
        await Page.GetByTestId("nav-usage").ClickAsync();

        await Expect(Page.GetByTestId("usage-total-cost")).ToHaveTextAsync("$0.001569");
        await Expect(Page.GetByTestId("usage-total")).ToContainTextAsync("≈$0.001234");
        await Expect(Page.GetByTestId("usage-replies")).ToContainTextAsync("1 completed · 1 failed · 1 stopped");
        await Expect(Page.GetByTestId("usage-chart").Locator("svg")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("usage-row-cost")).ToHaveTextAsync(["≈$0.001234", "$0.000020", "$0.000315"]);
        await Expect(Page.GetByTestId("group-user")).ToHaveCountAsync(0);
        await ScreenshotAsync("usage-desktop");

        // By model alone: one row per model, no days.
        await Page.GetByTestId("group-day").ClickAsync();
        await Page.GetByTestId("group-agent").ClickAsync();
        await Page.GetByTestId("group-model").ClickAsync();
        await Expect(Page.GetByTestId("usage-row-cost")).ToHaveTextAsync(["≈$0.001549", "$0.000020"]);

        var download = await Page.RunAndWaitForDownloadAsync(() => Page.GetByTestId("usage-csv").ClickAsync());
        download.SuggestedFilename.ShouldEndWith(".csv");
        var csv = await File.ReadAllLinesAsync(await download.PathAsync(), TestContext.Current.CancellationToken);
        csv.ShouldBe([
            "model,completed,failed,cancelled,running,inputTokens,cacheWrite5mTokens,cacheWrite1hTokens,cacheReadTokens,outputTokens,webSearchRequests,toolFees,cost,estimatedCost,"
                + "inputCost,cacheWrite5mCost,cacheWrite1hCost,cacheReadCost,outputCost",
            // Each class at the rates its sessions were charged: 145 × $3 and 74 × $15; 20 × $1.
            "claude-sonnet-4-6,1,0,1,0,145,0,0,0,74,0,0.000000,0.001549,0.001234,0.000435,0,0,0,0.00111",
            "claude-haiku-4-5,0,1,0,0,20,0,0,0,0,0,0.000000,0.000020,0,0.00002,0,0,0,0",
        ]);

        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("usage-phone");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await Expect(Page.GetByTestId("usage-chart")).ToBeVisibleAsync();
        await ScreenshotAsync("usage-phone-dark");
    }

    [Fact]
    public async Task AnEmptyRangeSaysSoAndABackwardsRangeIsExplained()
    {
        using var user = await App.NewUserAsync();
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await ui.GotoAsync("/usage");

        await Expect(Page.GetByTestId("usage-empty")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("usage-total-cost")).ToHaveTextAsync("$0.00");

        await Page.GetByLabel("From").FillAsync("2099-01-01");
        await Expect(Page.GetByTestId("usage-error")).ToContainTextAsync("The start date must not be after the end date.");
    }
}
