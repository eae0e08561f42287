using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>A new operator can send at once: an agent is chosen for them, and when none can be, the page says why.</summary>
public sealed class FirstVisitUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    // The not-found page is a 404 on purpose, which the browser reports as a failed load.
    protected override bool ConsoleErrorExpected(string text) => text.Contains("404 (Not Found)");

    [Fact]
    public async Task OnAFirstVisitAnActiveAgentIsChosenAndEnterSends()
    {
        var (ui, user, agentName) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Hello ", "there."] }, chooseAgent: false);
        using var _ = user;

        await Expect(Page.GetByTestId("agent-picker")).Not.ToHaveValueAsync("");
        await Expect(Page.GetByTestId("composer-hint")).ToHaveCountAsync(0);
        await ui.SendAsync("Hi");

        await Expect(ui.LastReplyText).ToHaveTextAsync("Hello there.");
        await Expect(ui.UserMessages).ToHaveTextAsync(["Hi"]);
    }

    [Fact]
    public async Task ANewConversationStartsWithTheAgentOfTheLatestOne()
    {
        var (ui, user, first) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Sure."] }, chooseAgent: false);
        using var _ = user;
        var latestId = await App.CreateAgentAsync();
        var latest = (string)(await App.Database.SingleAsync("SELECT name FROM agents WHERE id = $1", latestId))["name"]!;
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await ui.ChooseAgentAsync(latest);
        await ui.SendAsync("Remember me");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Sure.");

        await Page.GetByTestId("new-conversation").ClickAsync();
        await Expect(Page.GetByTestId("agent-picker")).ToHaveValueAsync(latest);

        await ui.GotoAsync("/");
        await Expect(Page.GetByTestId("agent-picker")).ToHaveValueAsync(latest);
        latest.ShouldNotBe(first);
    }

    [Fact]
    public async Task AnUnknownAddressShowsTheNotFoundPageWith404()
    {
        var response = await Page.GotoAsync("/nope");

        response!.Status.ShouldBe(404);
        await Expect(Page.GetByText("There is nothing at this address.")).ToBeVisibleAsync();
    }
}

/// <summary>With no active agent there is nothing to send to: the page says so, and shows an admin where to make one.</summary>
public sealed class NoActiveAgentUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task TheComposerSaysWhyAndAnAdminIsLinkedToTheAgentsPage()
    {
        await App.CreateAgentAsync(status: "INACTIVE");
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);

        await Expect(Page.GetByTestId("composer-hint")).ToHaveTextAsync("There is no active agent to send to yet.");
        await Page.GetByTestId("agents-link").ClickAsync();
        await Expect(Page.GetByTestId("agents-grid")).ToBeVisibleAsync();

        using var operatorUser = await App.NewUserAsync();
        await using var operatorContext = await Context.Browser!.NewContextAsync(new() { BaseURL = App.BaseUrl.ToString() });
        var operatorUi = new ChatPageObject(await operatorContext.NewPageAsync());
        await operatorUi.SignInAsync(operatorUser.Email, operatorUser.Password);
        await Expect(operatorUi.Page.GetByTestId("no-agents")).ToContainTextAsync("An administrator creates them");
        await Expect(operatorUi.Page.GetByTestId("agents-link")).ToHaveCountAsync(0);
        await Expect(operatorUi.Page.GetByTestId("composer-hint")).ToBeVisibleAsync();
    }
}
