using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

/// <summary>Edges an outside probe found: each answers with a clear error instead of a 500, or not at all.</summary>
public sealed class ProbedEdgesTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/usage?to=9999-12-31", "to")]
    [InlineData("/api/usage?from=9999-12-31&to=9999-12-31", "from")]
    [InlineData("/api/usage.csv?to=9999-12-31", "to")]
    [InlineData("/api/traces?to=9999-12-31", "to")]
    [InlineData("/api/traces?from=9999-12-31", "from")]
    public async Task AFarDateIsA400NamingTheField(string path, string field)
    {
        using var user = await app.NewUserAsync();

        using var response = await user.Client.GetAsync(path, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty(field)[0].GetString()!.ShouldContain("9999-12-30");
    }

    [Fact]
    public async Task TheLastDayAReportCanEndOnStillAnswers()
    {
        using var user = await app.NewUserAsync();

        (await user.Client.GetAsync("/api/usage?from=9999-12-01&to=9999-12-30", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await user.Client.GetAsync("/api/traces?to=9999-12-30", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/api/auth/forgotPassword", """{"email":"admin@e2e.test"}""")]
    [InlineData("/api/auth/resendConfirmationEmail", """{"email":"admin@e2e.test"}""")]
    [InlineData("/api/auth/resetPassword", """{"email":"admin@e2e.test","resetCode":"x","newPassword":"Abc-12345"}""")]
    [InlineData("/api/auth/manage/info", "{}")]
    [InlineData("/api/auth/manage/2fa", "{}")]
    public async Task IdentityEndpointsTheProductDoesNotUseAreNotThere(string path, string body)
    {
        using var admin = await app.AdminAsync();

        using var response = await admin.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task SignInAndRefreshStillWork()
    {
        using var client = app.CreateClient();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { email = CommandCenterApp.AdminEmail, password = CommandCenterApp.AdminPassword }, Ct);
        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        var refreshToken = (await login.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("refreshToken").GetString();

        using var refreshed = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken }, Ct);

        refreshed.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
