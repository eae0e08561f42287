using CommandCenter.E2E.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class AdminUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnAdminCreatesAnAgentThatAnOperatorThenSees()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.GotoAsync("/agents");

        await Page.GetByTestId("new-agent").ClickAsync();
        var form = Page.GetByTestId("agent-form");
        await Page.GetByTestId("agent-save").ClickAsync();
        await Expect(form).ToContainTextAsync("The name is required.");
        // A new agent starts on the current Sonnet, which is priced on a fresh install.
        await Expect(form).ToContainTextAsync("$2 in / $0.1 cache read / $10 out per M tokens · 1M context, up to 128K out");

        var name = $"Support bot {Guid.NewGuid():N}"[..24];
        await Page.GetByTestId("agent-name").FillAsync(name);
        await Page.GetByTestId("agent-model").ClickAsync();
        await Page.GetByRole(AriaRole.Option).Filter(new LocatorFilterOptions { HasText = "claude-haiku-4-5" }).ClickAsync();
        await Page.GetByTestId("agent-system-prompt").FillAsync("Be kind and brief.");
        await Page.GetByTestId("agent-save").ClickAsync();
        await Expect(Page.GetByTestId("agents-grid")).ToContainTextAsync(name);
        await ScreenshotAsync("agents-page");
        // Every cell of the row, its actions too, is on the row's line and as tall as the row.
        var created = Page.GetByRole(AriaRole.Row).Filter(new LocatorFilterOptions { HasText = name });
        var rowBox = (await created.BoundingBoxAsync()).ShouldNotBeNull();
        foreach (var cell in await created.Locator("td").AllAsync())
        {
            var box = (await cell.BoundingBoxAsync()).ShouldNotBeNull();
            box.Y.ShouldBe(rowBox.Y, 0.5);
            box.Height.ShouldBe(rowBox.Height, 0.5);
        }

        using var operatorUser = await App.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        await using var operatorContext = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = App.BaseUrl.ToString() });
        var operatorUi = new ChatPageObject(await operatorContext.NewPageAsync());
        await operatorUi.SignInAsync(operatorUser.Email, operatorUser.Password);
        await operatorUi.ChooseAgentAsync(name);
        // The chosen agent's model and price, under the picker.
        await Expect(operatorUi.Page.Locator(".cc-agent-picker .mud-input-helper-text")).ToHaveTextAsync("claude-haiku-4-5 · $1 in / $5 out per M tokens");
        await Expect(operatorUi.Page.GetByTestId("nav-agents")).ToHaveCountAsync(0);

        await operatorUi.Page.GotoAsync("/agents");
        await Expect(operatorUi.Page.GetByTestId("access-denied")).ToBeVisibleAsync();
        await Expect(operatorUi.Page.GetByTestId("agents-grid")).ToHaveCountAsync(0);

        // Deactivated, the agent leaves the operator's picker.
        var agentRow = Page.GetByRole(AriaRole.Row).Filter(new LocatorFilterOptions { HasText = name });
        await agentRow.GetByTestId("agent-active").ClickAsync();
        await Expect(agentRow).ToContainTextAsync("Inactive");
        (await App.Database.SingleAsync("SELECT status FROM agents WHERE name = $1", name))["status"].ShouldBe("INACTIVE");
        await operatorUi.GotoAsync("/");
        await operatorUi.Page.GetByTestId("agent-picker").ClickAsync();
        await Expect(operatorUi.Page.GetByRole(AriaRole.Option).Filter(new LocatorFilterOptions { HasText = name })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task TheAgentDialogShowsTheModelsPriceAndWarnsWhenItHasNone()
    {
        var priced = await App.CreateAgentAsync(model: "claude-haiku-4-5", maxTokens: 1000);
        var unpriced = await App.CreateAgentAsync();
        // A model whose price is gone from the table (rows are never deleted, but one may only take effect later).
        await App.Database.QueryAsync("UPDATE agents SET model = 'claude-unpriced-test' WHERE id = $1", unpriced);
        var names = await App.Database.QueryAsync("SELECT id, name FROM agents WHERE id IN ($1, $2)", priced, unpriced);
        string NameOf(string id) => (string)names.Single(n => (string)n["id"]! == id)["name"]!;
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.GotoAsync("/agents");

        await Page.GetByRole(AriaRole.Row).Filter(new() { HasText = NameOf(priced) }).GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        var form = Page.GetByTestId("agent-form");
        await Expect(form).ToContainTextAsync("$1 in / $0.1 cache read / $5 out per M tokens · 200K context, up to 64K out · a reply's output costs at most $0.005000");
        await Expect(Page.GetByTestId("agent-model-unpriced")).ToHaveCountAsync(0);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(form).ToHaveCountAsync(0);

        await Page.GetByRole(AriaRole.Row).Filter(new() { HasText = NameOf(unpriced) }).GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Expect(Page.GetByTestId("agent-model-unpriced")).ToContainTextAsync("claude-unpriced-test has no price in effect");
    }

    [Fact]
    public async Task AnAdminCreatesAnOperatorWhoCanSignInUntilDisabled()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.GotoAsync("/users");
        var email = $"operator-{Guid.NewGuid():N}@e2e.test";

        await Page.GetByTestId("user-email").FillAsync("not an email");
        await Page.GetByTestId("user-password").FillAsync("Operator-Pass-1");
        await Page.GetByTestId("user-create").ClickAsync();
        await Expect(Page.GetByText("A valid email address is required.")).ToBeVisibleAsync();

        await Page.GetByTestId("user-email").FillAsync(email);
        await Page.GetByTestId("user-create").ClickAsync();
        var row = Page.GetByRole(AriaRole.Row).Filter(new LocatorFilterOptions { HasText = email });
        await Expect(row).ToContainTextAsync("Operator");
        await Expect(row).ToContainTextAsync("Active");
        (await App.LoginAsync(email, "Operator-Pass-1")).ShouldNotBeNullOrEmpty();

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Disabled");
        using var client = App.CreateClient();
        var refused = await client.PostAsync("/api/auth/login", System.Net.Http.Json.JsonContent.Create(new { email, password = "Operator-Pass-1" }), TestContext.Current.CancellationToken);
        refused.StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TheThemeChoiceIsRemembered()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        var light = await Page.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim()");

        await Page.GetByTestId("theme-toggle").ClickAsync();
        // The page's script writes the cookie as the toggle's click is handled.
        await Page.WaitForFunctionAsync("() => document.cookie.split('; ').includes('cc-theme=dark')");

        await ui.GotoAsync("/settings");
        var dark = await Page.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim()");

        dark.ShouldNotBe(light);
        (await Context.CookiesAsync()).ShouldContain(c => c.Name == "cc-theme" && c.Value == "dark");
    }
}
