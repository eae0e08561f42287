using System.Net;
using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

public sealed class SecurityHeaderTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PagesCarryAContentSecurityPolicyWithoutEvalOrInlineScriptAndNoFramingByOthers()
    {
        using var client = app.CreateClient();
        using var page = await client.GetAsync("/Account/Login", Ct);

        var csp = page.Headers.GetValues("Content-Security-Policy").ShouldHaveSingleItem();
        csp.ShouldContain("default-src 'self'");
        csp.ShouldContain("frame-ancestors 'self'");
        var scriptSrc = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src", StringComparison.Ordinal));
        scriptSrc.ShouldNotContain("unsafe-eval");
        scriptSrc.ShouldNotContain("unsafe-inline");
    }

    [Theory]
    [InlineData("/Account/Login")]
    [InlineData("/api/agents")]
    [InlineData("/app.css")]
    [InlineData("/health")]
    [InlineData("/no-such-page")]
    public async Task EveryResponseIsNosniffAndNamesNoServer(string path)
    {
        using var client = app.CreateClient();
        using var response = await client.GetAsync(path, Ct);

        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        response.Headers.Contains("Server").ShouldBeFalse();
    }

    [Fact]
    public async Task ErrorResponsesCarryTheHeadersToo()
    {
        using var client = app.CreateClient();
        using var badBody = await client.PostAsync("/api/auth/login", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"), Ct);

        badBody.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        badBody.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        badBody.Headers.CacheControl!.NoStore.ShouldBeTrue();
    }

    [Fact]
    public async Task ApiAnswersAndSignInAreNeverCachedWhileTheStreamSaysNoCache()
    {
        using var anonymous = app.CreateClient();
        using var login = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = CommandCenterApp.AdminEmail, password = CommandCenterApp.AdminPassword }, Ct);
        using var signInPage = await anonymous.GetAsync("/Account/Login", Ct);
        using var admin = await app.AdminAsync();
        using var agents = await admin.GetAsync("/api/agents", Ct);
        using var refused = await anonymous.GetAsync("/api/agents", Ct);

        foreach (var response in new[] { login, agents, refused, signInPage })
        {
            response.Headers.CacheControl!.NoStore.ShouldBeTrue(response.RequestMessage!.RequestUri!.ToString());
        }

        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var stream = await user.SendAsync(await app.CreateAgentAsync(), "hi", ct: Ct);
        stream.Headers.CacheControl!.NoCache.ShouldBeTrue();
        stream.Headers.CacheControl.NoStore.ShouldBeFalse();
    }

    [Fact]
    public async Task WithoutTheSettingForwardedHeadersAreIgnored()
    {
        using var client = app.CreateClient();
        using var request = ForwardedHttps("/Account/Login");
        using var response = await client.SendAsync(request, Ct);

        response.Headers.Contains("Strict-Transport-Security").ShouldBeFalse();
    }

    /// <summary>A request as a TLS-terminating proxy passes it on.</summary>
    internal static HttpRequestMessage ForwardedHttps(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Host = "cc.example.com";
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        return request;
    }
}

/// <summary>The app behind a TLS-terminating proxy: <c>ForwardedHeaders__Enabled=true</c>.</summary>
public sealed class ForwardedApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("ForwardedHeaders:Enabled", "true")];
}

public sealed class ForwardedHeaderTests(ForwardedApp app) : IClassFixture<ForwardedApp>
{
    [Fact]
    public async Task BehindAProxyHstsAndSecureCookiesFollowTheForwardedScheme()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = app.CreateClient();
        using var page = await client.SendAsync(SecurityHeaderTests.ForwardedHttps("/Account/Login"), ct);
        using var login = SecurityHeaderTests.ForwardedHttps("/api/auth/login?useCookies=true");
        login.Method = HttpMethod.Post;
        login.Content = JsonContent.Create(new { email = CommandCenterApp.AdminEmail, password = CommandCenterApp.AdminPassword });
        using var signedIn = await client.SendAsync(login, ct);

        page.Headers.Contains("Strict-Transport-Security").ShouldBeTrue();
        signedIn.StatusCode.ShouldBe(HttpStatusCode.OK);
        signedIn.Headers.GetValues("Set-Cookie").ShouldContain(cookie => cookie.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }
}
