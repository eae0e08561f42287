using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

/// <summary>An admin changes an account's role and sets a new password for one whose owner forgot it.</summary>
public sealed class UserRoleAndPasswordTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpStatusCode> LoginStatusAsync(string email, string password)
    {
        using var client = app.CreateClient();
        return (await client.PostAsJsonAsync("/api/auth/login", new { email, password }, Ct)).StatusCode;
    }

    [Fact]
    public async Task AnOperatorMadeAdminAdministersAndMadeOperatorAgainNoLongerDoes()
    {
        using var admin = await app.AdminAsync();
        using var user = await app.NewUserAsync();

        var promoted = await admin.PutAsJsonAsync($"/api/users/{user.Id}/role", new { role = "admin" }, Ct);
        promoted.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await promoted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("role").GetString().ShouldBe("Admin");
        using (var asAdmin = app.CreateClient(await app.LoginAsync(user.Email, user.Password)))
        {
            (await asAdmin.GetAsync("/api/users", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await admin.PutAsJsonAsync($"/api/users/{user.Id}/role", new { role = "Operator" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var asOperator = app.CreateClient(await app.LoginAsync(user.Email, user.Password));
        (await asOperator.GetAsync("/api/users", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var roles = await app.Database.QueryAsync(
            "SELECT r.\"Name\" FROM \"AspNetUserRoles\" ur JOIN \"AspNetRoles\" r ON r.\"Id\" = ur.\"RoleId\" WHERE ur.\"UserId\" = $1", user.Id);
        roles.Select(r => r["Name"]).ShouldBe(["Operator"], "one role, not one more");
    }

    [Fact]
    public async Task AnAdminCannotTakeTheAdminRoleFromThemselvesAndABadRoleIs400()
    {
        using var admin = await app.AdminAsync();
        var adminId = (string)(await app.Database.SingleAsync("SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"Email\" = $1", CommandCenterApp.AdminEmail))["Id"]!;
        using var user = await app.NewUserAsync();

        var self = await admin.PutAsJsonAsync($"/api/users/{adminId}/role", new { role = "Operator" }, Ct);
        self.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await self.Content.ReadAsStringAsync(Ct)).ShouldContain("You cannot take the Admin role from your own account.");
        (await admin.PutAsJsonAsync($"/api/users/{user.Id}/role", new { role = "Owner" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.PutAsJsonAsync($"/api/users/nobody/role", new { role = "Operator" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await user.Client.PutAsJsonAsync($"/api/users/{user.Id}/role", new { role = "Admin" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AResetPasswordWorksTheOldOneNoLongerDoesAndTheOwnersTokensEnd()
    {
        using var admin = await app.AdminAsync();
        using var user = await app.NewUserAsync();
        (await user.Client.GetAsync("/api/me/anthropic-key", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var reset = await admin.PostAsJsonAsync($"/api/users/{user.Id}/password", new { password = "Fresh-Pass-456" }, Ct);

        reset.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await LoginStatusAsync(user.Email, "Fresh-Pass-456")).ShouldBe(HttpStatusCode.OK);
        (await LoginStatusAsync(user.Email, user.Password)).ShouldBe(HttpStatusCode.Unauthorized);
        (await user.Client.GetAsync("/api/me/anthropic-key", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "the token issued before the reset is refused, as a disabled account's is");
    }

    [Fact]
    public async Task AWeakPasswordIs400WithTheRulesAndChangesNothing()
    {
        using var admin = await app.AdminAsync();
        using var user = await app.NewUserAsync();

        var reset = await admin.PostAsJsonAsync($"/api/users/{user.Id}/password", new { password = "short" }, Ct);

        reset.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await reset.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("password");
        errors.EnumerateArray().Select(e => e.GetString()).ShouldContain(e => e!.Contains("at least 6 characters"));
        (await LoginStatusAsync(user.Email, user.Password)).ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsJsonAsync("/api/users/nobody/password", new { password = "Fresh-Pass-456" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        app.Logs.Lines.ShouldNotContain(l => l.Contains("Fresh-Pass-456") || l.Contains("short\""));
    }
}
