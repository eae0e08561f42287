using System.Net;
using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>An admin on the Users page: another role for an account, and a new password for one whose owner forgot it.</summary>
public sealed class UsersUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnAdminChangesARoleAndResetsAPasswordFromTheUsersPage()
    {
        using var user = await App.NewUserAsync();
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.GotoAsync("/users");
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = user.Email });

        await row.GetByTestId("user-row-role").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = "Admin" }).ClickAsync();
        await Expect(Page.GetByText($"{user.Email} is now Admin.")).ToBeVisibleAsync();
        (await App.Database.SingleAsync(
            "SELECT r.\"Name\" FROM \"AspNetUserRoles\" ur JOIN \"AspNetRoles\" r ON r.\"Id\" = ur.\"RoleId\" WHERE ur.\"UserId\" = $1", user.Id))["Name"].ShouldBe("Admin");

        await row.GetByTestId("user-reset-password").ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        var password = dialog.GetByTestId("reset-password");
        // The rules are shown before anything is refused (the new-account form shows them too, outside the dialog).
        await Expect(dialog.GetByText("At least 6 characters, with an upper-case")).ToBeVisibleAsync();
        await password.FillAsync("weak");
        await password.PressAsync("Enter");
        await Expect(dialog.GetByText("Passwords must be at least 6 characters.")).ToBeVisibleAsync();
        await ScreenshotAsync("users-reset-password-refused");
        await password.FillAsync("Brand-New-789");
        await dialog.GetByTestId("reset-password-save").ClickAsync();
        await Expect(Page.GetByText($"The password of {user.Email} is set; their sessions have ended.")).ToBeVisibleAsync();

        using var client = App.CreateClient();
        (await client.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = "Brand-New-789" }, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
