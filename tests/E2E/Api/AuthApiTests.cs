using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

public sealed class AuthApiTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task SeededAdminLogsInAndGetsBearerAndRefreshTokens()
    {
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { email = CommandCenterApp.AdminEmail, password = CommandCenterApp.AdminPassword }, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var tokens = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        tokens.GetProperty("tokenType").GetString().ShouldBe("Bearer");
        tokens.GetProperty("accessToken").GetString().ShouldNotBeNullOrEmpty();
        tokens.GetProperty("expiresIn").GetInt32().ShouldBeGreaterThan(0);

        var refreshed = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() }, TestContext.Current.CancellationToken);
        refreshed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var newToken = (await refreshed.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("accessToken").GetString()!;
        using var withNewToken = app.CreateClient(newToken);
        (await withNewToken.GetAsync("/api/agents", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task WrongPasswordIsRejectedWith401()
    {
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { email = CommandCenterApp.AdminEmail, password = "not-the-password" }, TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task FailedSignInsNeverLockAnAccountAndAnUnknownAccountAnswersTheSame()
    {
        var ct = TestContext.Current.CancellationToken;
        using var user = await app.NewUserAsync();
        using var client = app.CreateClient();
        for (var i = 0; i < 6; i++)
        {
            (await client.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = "wrong" }, ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        var known = await client.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = "wrong" }, ct);
        var unknown = await client.PostAsJsonAsync("/api/auth/login", new { email = $"nobody-{Guid.NewGuid():N}@e2e.test", password = "wrong" }, ct);
        (await ProblemWithoutTraceIdAsync(known)).ShouldBe(await ProblemWithoutTraceIdAsync(unknown));
        (await app.LoginAsync(user.Email, user.Password)).ShouldNotBeNullOrEmpty("an anonymous guesser cannot lock the owner out");
    }

    [Fact]
    public async Task ADisabledAccountLooksLikeAWrongPasswordToAnyoneWithoutItsPassword()
    {
        var ct = TestContext.Current.CancellationToken;
        using var user = await app.NewUserAsync();
        using var admin = await app.AdminAsync();
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, ct)).EnsureSuccessStatusCode();
        using var client = app.CreateClient();

        var guess = await client.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = "wrong" }, ct);
        var unknown = await client.PostAsJsonAsync("/api/auth/login", new { email = $"nobody-{Guid.NewGuid():N}@e2e.test", password = "wrong" }, ct);
        var owner = await client.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password }, ct);

        (await ProblemWithoutTraceIdAsync(guess)).ShouldBe(await ProblemWithoutTraceIdAsync(unknown));
        owner.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await owner.Content.ReadAsStringAsync(ct)).ShouldContain("LockedOut");
    }

    /// <summary>The status and body of a refusal, without the per-request trace id.</summary>
    private static async Task<string> ProblemWithoutTraceIdAsync(HttpResponseMessage response)
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        body.Remove("traceId");
        return $"{(int)response.StatusCode} {body.ToJsonString()}";
    }

    [Theory]
    [InlineData("/api/agents")]
    [InlineData("/api/me/anthropic-key")]
    [InlineData("/api/conversations")]
    [InlineData("/api/users")]
    public async Task ApiRequiresABearerToken(string path)
    {
        using var anonymous = app.CreateClient();
        var refused = await anonymous.GetAsync(path, TestContext.Current.CancellationToken);
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await refused.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString().ShouldNotBeNullOrEmpty();

        using var forged = app.CreateClient("not-a-real-token");
        (await forged.GetAsync(path, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SelfRegistrationIsOffByDefault()
    {
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/register", new { email = "walk-in@e2e.test", password = "Walk-In-123" }, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await client.PostAsJsonAsync("/api/auth/login", new { email = "walk-in@e2e.test", password = "Walk-In-123" }, TestContext.Current.CancellationToken))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AdminCreatesAccountsAndOperatorsCannot()
    {
        using var operatorUser = await app.NewUserAsync("Operator");
        var byOperator = await operatorUser.Client.PostAsJsonAsync("/api/users", new { email = "x@e2e.test", password = "Xx-12345678", role = "Admin" }, TestContext.Current.CancellationToken);
        byOperator.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await byOperator.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString().ShouldNotBeNullOrEmpty();

        using var admin = await app.AdminAsync();
        var invalid = await admin.PostAsJsonAsync("/api/users", new { email = "not-an-email", password = "short", role = "King" }, TestContext.Current.CancellationToken);
        invalid.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await invalid.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("errors");
        errors.TryGetProperty("email", out _).ShouldBeTrue();
        errors.TryGetProperty("role", out _).ShouldBeTrue();

        using var newAdmin = await app.NewUserAsync("Admin");
        (await newAdmin.Client.GetAsync("/api/users", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DisabledAccountCannotSignInRefreshOrUseItsToken()
    {
        using var user = await app.NewUserAsync();
        using var anonymous = app.CreateClient();
        var login = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password }, TestContext.Current.CancellationToken);
        var refreshToken = (await login.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("refreshToken").GetString();

        using var admin = await app.AdminAsync();
        (await user.Client.GetAsync("/api/agents", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The access token issued before is refused at once, not when it expires.
        var withOldToken = await user.Client.GetAsync("/api/agents", TestContext.Current.CancellationToken);
        withOldToken.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await withOldToken.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString().ShouldNotBeNullOrEmpty();

        (await anonymous.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password }, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken }, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        (await admin.PostAsync($"/api/users/{user.Id}/enable", null, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anonymous.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password }, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnAdminCannotDisableTheirOwnAccount()
    {
        using var admin = await app.NewUserAsync("Admin");
        var response = await admin.Client.PostAsync($"/api/users/{admin.Id}/disable", null, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString()!.ShouldContain("your own account");
        (await app.LoginAsync(admin.Email, admin.Password)).ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public void TheMessagePathIsWarmedUpBeforeTheServerTakesRequests()
    {
        var lines = app.Logs.Lines.ToList();
        var warmed = lines.FindIndex(line => line.Contains("Warmed up the message path"));
        // Every request is logged as it starts (the fixture signs in as soon as the app is up, so there is at least one).
        var firstRequest = lines.FindIndex(line => line.Contains("Request starting"));

        warmed.ShouldBeGreaterThanOrEqualTo(0, "the warm-up ran");
        firstRequest.ShouldBeGreaterThanOrEqualTo(0, "a request was taken");
        warmed.ShouldBeLessThan(firstRequest);
    }

    [Theory]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.js")]
    [InlineData("/app.css")]
    public async Task TheUisStylesAndScriptsAreServedInProduction(string path)
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Length.ShouldBeGreaterThan(100);
    }

    [Fact]
    public async Task HealthReportsTheDatabase()
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe("Healthy");
    }
}

public sealed class OpenRegistrationApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Auth:AllowSelfRegistration", "true")];
}

public sealed class OpenRegistrationTests(OpenRegistrationApp app) : IClassFixture<OpenRegistrationApp>
{
    [Fact]
    public async Task WhenTurnedOnSelfRegisteredUsersAreOperators()
    {
        var ct = TestContext.Current.CancellationToken;
        var email = $"walk-in-{Guid.NewGuid():N}@e2e.test";
        using var anonymous = app.CreateClient();

        (await anonymous.PostAsJsonAsync("/api/auth/register", new { email, password = "Walk-In-123" }, ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anonymous.PostAsJsonAsync("/api/auth/register", new { email = "bad", password = "x" }, ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        using var admin = await app.AdminAsync();
        var users = await admin.GetFromJsonAsync<JsonElement>("/api/users", ct);
        users.EnumerateArray().Single(u => u.GetProperty("email").GetString() == email).GetProperty("role").GetString().ShouldBe("Operator");
        using var walkIn = app.CreateClient(await app.LoginAsync(email, "Walk-In-123"));
        (await walkIn.PostAsJsonAsync("/api/agents", new { name = "mine", model = "claude-sonnet-4-6", maxTokens = 10 }, ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
