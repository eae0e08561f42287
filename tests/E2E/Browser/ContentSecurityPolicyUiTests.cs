using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>The policy is strict and the app still works under it: no page logs a violation.</summary>
public sealed class ContentSecurityPolicyUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task NoPageLogsAContentSecurityPolicyViolation()
    {
        var console = new List<string>();
        Page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        Page.PageError += (_, error) => console.Add($"pageerror: {error}");

        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Under ", "**policy**."] });
        using var _ = user;
        await ui.SendAsync("Hello");
        await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        await ui.GotoAsync("/settings");
        await Expect(Page.GetByTestId("key-status")).ToBeVisibleAsync();

        await Page.GetByTestId("user-menu").ClickAsync();
        await Page.GetByText("Sign out").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login|/$"));
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.GotoAsync("/agents");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Agents" })).ToBeVisibleAsync();
        await ui.GotoAsync("/users");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Users" })).ToBeVisibleAsync();

        console.ShouldNotContain(line => line.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || line.Contains("Refused to", StringComparison.Ordinal));
        console.Where(line => line.StartsWith("error", StringComparison.Ordinal) || line.StartsWith("pageerror", StringComparison.Ordinal)).ShouldBeEmpty();
    }
}
