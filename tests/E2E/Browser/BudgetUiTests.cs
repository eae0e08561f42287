using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class BudgetUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnOperatorSeesWhatIsLeftAndABannerWhenAMessageWouldGoOverBudget()
    {
        // Each reply costs 12 in + 200 out on Haiku: $0.001012. Each message reserves "Be brief." + "Hi" ≈ 4 tokens as cache
        // writes plus 1000 output tokens: $0.005005. With $0.0055 the first fits, and after it only $0.004488 is left.
        var key = CommandCenterApp.NewApiKey();
        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["Within ", "budget."], Usage = new FakeUsage(12, 200) });
        using var user = await App.NewUserAsync(apiKey: key);
        var agentId = await App.CreateAgentAsync(model: "claude-haiku-4-5", systemPrompt: "Be brief.", maxTokens: 1000);
        var agentName = (string)(await App.Database.SingleAsync("SELECT name FROM agents WHERE id = $1", agentId))["name"]!;
        using var admin = await App.AdminAsync();
        (await admin.PutAsJsonAsync($"/api/budgets/user/{user.Id}", new { monthlyLimit = 0.0055m }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await ui.ChooseAgentAsync(agentName);
        await Expect(Page.GetByTestId("budget-left")).ToHaveTextAsync("Budget $0.005500 left");

        await ui.SendAsync("Hi");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Within budget.");
        await Expect(Page.GetByTestId("budget-left")).ToHaveTextAsync("Budget $0.004488 left");

        await ui.SendAsync("Hi");
        var banner = Page.GetByTestId("budget-banner");
        await Expect(banner).ToContainTextAsync("Over budget: Your monthly budget of $0.0055 has $0.004488 left");
        // The second message also sends the first turn ("Hi", "Within budget."): 27 characters ≈ 9 tokens, so $0.005011.
        await Expect(banner).ToContainTextAsync("may cost up to $0.005011");
        // Nothing was sent or stored: the message is back in the box, not in a failed bubble.
        await Expect(ui.Composer).ToHaveValueAsync("Hi");
        await Expect(ui.UserMessages).ToHaveCountAsync(1);
        App.Fake.RequestsFor(key).Count.ShouldBe(1);
        await ScreenshotAsync("budget-banner-desktop");
        await Page.SetViewportSizeAsync(390, 844);
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await ScreenshotAsync("budget-banner-phone-dark");
    }

    [Fact]
    public async Task AnAdminSetsAnAgentsBudgetOnTheBudgetsPage()
    {
        var agentId = await App.CreateAgentAsync();
        var agentName = (string)(await App.Database.SingleAsync("SELECT name FROM agents WHERE id = $1", agentId))["name"]!;
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await Page.GetByTestId("nav-budgets").ClickAsync();
        await ui.WaitUntilInteractiveAsync();

        // No subject chosen: said beside the field, nothing saved.
        await Page.GetByTestId("budget-save").ClickAsync();
        await Expect(Page.GetByTestId("budget-form")).ToContainTextAsync("Choose the user.");

        await Page.GetByTestId("budget-scope").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = "An agent" }).ClickAsync();
        await Page.GetByTestId("budget-subject").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = agentName }).ClickAsync();
        await Page.GetByTestId("budget-limit").FillAsync("-5");
        await Page.GetByTestId("budget-save").ClickAsync();
        await Expect(Page.GetByTestId("budget-form")).ToContainTextAsync("The monthly limit must be above $0");
        (await App.Database.QueryAsync("SELECT 1 FROM budgets WHERE \"subjectId\" = $1", agentId)).ShouldBeEmpty();

        await Page.GetByTestId("budget-limit").FillAsync("25");
        await Page.GetByTestId("budget-save").ClickAsync();
        var row = Page.GetByTestId("budgets-table").Locator("tr", new() { HasText = agentName });
        await Expect(row.GetByTestId("budget-remaining")).ToHaveTextAsync("$25.000000");
        (await App.Database.SingleAsync("SELECT \"monthlyLimit\" FROM budgets WHERE scope = 'agent' AND \"subjectId\" = $1", agentId))["monthlyLimit"].ShouldBe(25m);
        await ScreenshotAsync("budgets-desktop");
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("budgets-phone");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await ScreenshotAsync("budgets-phone-dark");

        await Page.SetViewportSizeAsync(1440, 900);
        // Back at desktop width the navigation drawer opens again and pushes the page right: a click before it has
        // opened lands where the button was.
        await Expect(Page.GetByTestId("nav-budgets")).ToBeInViewportAsync();
        await row.GetByTestId("budget-remove").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        (await App.Database.QueryAsync("SELECT 1 FROM budgets WHERE \"subjectId\" = $1", agentId)).ShouldBeEmpty();
    }
}
