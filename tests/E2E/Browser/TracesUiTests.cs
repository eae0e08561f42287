using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class TracesUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnOperatorFindsAStoppedReplyAndReadsItsTraceThenOpensItsConversation()
    {
        var (ui, user, agentName) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Partial ", "reply ", "then silence"], HoldAfterChunks = 2 });
        using var _ = user;
        await ui.SendAsync("Take forever");
        await Expect(ui.LastReplyText).ToContainTextAsync("reply");
        await ui.StopButton.ClickAsync();
        await Expect(ui.LastReply.GetByTestId("stopped")).ToBeVisibleAsync();
        var agentId = (string)(await App.Database.SingleAsync("SELECT id FROM agents WHERE name = $1", agentName))["id"]!;
        await App.Database.InsertAsync(new(user.Id, agentId, "claude-sonnet-4-6", DateTimeOffset.UtcNow.AddDays(-1), "success", 0.000315m, Input: 45, Output: 12));

        await Page.GetByTestId("nav-traces").ClickAsync();
        await Expect(Page.GetByTestId("trace-link")).ToHaveCountAsync(2);
        await Page.GetByTestId("filter-status").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = "cancelled" }).ClickAsync();
        await Expect(Page.GetByTestId("trace-link")).ToHaveTextAsync(["Take forever"]);
        await Expect(Page.GetByTestId("trace-cost")).ToContainTextAsync("≈$");
        await ScreenshotAsync("traces-desktop");
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("traces-phone");
        await Page.SetViewportSizeAsync(1400, 900);

        await Page.GetByTestId("trace-link").ClickAsync();
        await Expect(Page.GetByTestId("trace-instruction")).ToHaveTextAsync("Take forever");
        await Expect(Page.GetByTestId("trace-status")).ToHaveTextAsync("cancelled");
        await Expect(Page.GetByTestId("trace-output")).ToHaveTextAsync("≈2 · ≈$0.000030");
        await Expect(Page.GetByTestId("trace-price-used")).ToHaveTextAsync("$3 in / $3.75 5-min write / $6 1-hour write / $0.3 cache read / $15 out per M tokens");
        await Expect(Page.GetByTestId("trace-request-id")).ToContainTextAsync("req_");
        await ScreenshotAsync("trace-detail-desktop");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await ScreenshotAsync("trace-detail-dark");
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("trace-detail-phone");

        await Page.GetByTestId("trace-conversation").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Partial reply");
    }

    [Fact]
    public async Task AnotherUsersTraceIsNotShown()
    {
        using var owner = await App.NewUserAsync();
        var agent = await App.CreateAgentAsync();
        var traceId = await App.Database.InsertAsync(new(owner.Id, agent, "claude-sonnet-4-6", DateTimeOffset.UtcNow, "success", 0.0001m, Input: 1));
        using var stranger = await App.NewUserAsync();
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(stranger.Email, stranger.Password);

        await ui.GotoAsync($"/traces/{traceId}");

        await Expect(Page.GetByTestId("trace-not-found")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("trace-instruction")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ACostFilterThatIsNotANumberIsExplainedAndAnEmptyResultSaysSo()
    {
        using var user = await App.NewUserAsync();
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await ui.GotoAsync("/traces");
        await Expect(Page.GetByTestId("traces-empty")).ToBeVisibleAsync();

        await Page.GetByLabel("Min cost ($)").FillAsync("cheap");
        await Page.GetByLabel("Min cost ($)").PressAsync("Tab");

        await Expect(Page.GetByTestId("trace-filter-error")).ToHaveTextAsync("The minimum cost must be a number of dollars, 0 or more.");
    }
}
