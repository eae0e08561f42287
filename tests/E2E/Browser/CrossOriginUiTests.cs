using System.Net;
using System.Net.Sockets;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>The app with one other origin allowed: a frontend on 127.0.0.1 at a port chosen before the app starts.</summary>
public sealed class CrossOriginApp : CommandCenterApp
{
    public static readonly int AllowedFrontendPort = FreePort();

    public static string AllowedOrigin => $"http://127.0.0.1:{AllowedFrontendPort}";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Cors:AllowedOrigins:0", AllowedOrigin)];

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

public sealed class CrossOriginUiTests(BrowserFixture browser, CrossOriginApp app) : BrowserTest(browser, app), IClassFixture<CrossOriginApp>
{
    // A frontend developer's first page: POST a message with fetch and read the stream as it comes.
    private const string FrontendPage = """
        <!DOCTYPE html><html><body><pre id="out">waiting</pre><script>
        (async () => {
          const p = new URLSearchParams(location.search), out = document.getElementById('out');
          try {
            const r = await fetch(p.get('api') + '/api/command-center/message', {
              method: 'POST',
              headers: { 'Authorization': 'Bearer ' + p.get('token'), 'Content-Type': 'application/json' },
              body: JSON.stringify({ agentId: p.get('agent'), conversationId: null, message: 'Hello from another origin' }),
            });
            const reader = r.body.getReader(), decoder = new TextDecoder();
            let text = '';
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              text += decoder.decode(value, { stream: true });
              out.textContent = 'streaming ' + r.status + '\n' + text;
            }
            out.textContent = 'finished ' + r.status + '\n' + text;
          } catch (e) {
            out.textContent = 'blocked: ' + e.name;
          }
        })();
        </script></body></html>
        """;

    // The blocked origin is blocked in the console too, and the frontend has no favicon.
    protected override bool ConsoleErrorExpected(string text) =>
        text.Contains("blocked by CORS policy") || text.Contains("net::ERR_FAILED") || text.Contains("404 (Not Found)");

    private static async Task<WebApplication> ServeFrontendAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var frontend = builder.Build();
        frontend.MapGet("/", () => Results.Content(FrontendPage, "text/html"));
        await frontend.StartAsync(TestContext.Current.CancellationToken);
        return frontend;
    }

    [Fact]
    public async Task AFrontendOnAnAllowedOriginStreamsAReplyWithFetchAndAnotherOriginIsBlocked()
    {
        var key = CommandCenterApp.NewApiKey();
        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["Across ", "origins."] });
        using var user = await App.NewUserAsync(apiKey: key);
        var agentId = await App.CreateAgentAsync();
        var token = await App.LoginAsync(user.Email, user.Password);
        var api = App.BaseUrl.ToString().TrimEnd('/');
        var query = $"?api={Uri.EscapeDataString(api)}&token={Uri.EscapeDataString(token)}&agent={agentId}";
        await using var allowed = await ServeFrontendAsync(CrossOriginApp.AllowedFrontendPort);
        await using var other = await ServeFrontendAsync(CrossOriginApp.FreePort());

        await Page.GotoAsync(CrossOriginApp.AllowedOrigin + "/" + query);
        await Expect(Page.Locator("#out")).ToContainTextAsync("finished 200");
        await Expect(Page.Locator("#out")).ToContainTextAsync("event: done");
        (await Page.Locator("#out").TextContentAsync()).ShouldNotBeNull().ShouldContain("{\"text\":\"origins.\"}");

        await Page.GotoAsync(other.Urls.Single() + "/" + query);
        await Expect(Page.Locator("#out")).ToHaveTextAsync("blocked: TypeError");
        App.Fake.RequestsFor(key).Count.ShouldBe(1, "the blocked origin's preflight failed, so its POST was never sent");
    }

    [Fact]
    public async Task ThePreflightAllowsTheHeadersAStreamAndItsResumeNeedOnlyForAllowedOrigins()
    {
        using var client = App.CreateClient();
        async Task<HttpResponseMessage> PreflightAsync(string origin, string path, string method, string headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, path);
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", method);
            request.Headers.Add("Access-Control-Request-Headers", headers);
            return await client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        using var post = await PreflightAsync(CrossOriginApp.AllowedOrigin, "/api/command-center/message", "POST", "authorization,content-type");
        post.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        post.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe([CrossOriginApp.AllowedOrigin]);
        string.Join(",", post.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant().ShouldContain("authorization");
        post.Headers.Contains("Access-Control-Allow-Credentials").ShouldBeFalse("bearer tokens only: no cookie crosses origins");

        using var resume = await PreflightAsync(CrossOriginApp.AllowedOrigin, "/api/command-center/messages/x/events", "GET", "authorization,last-event-id");
        string.Join(",", resume.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant().ShouldContain("last-event-id");

        using var stranger = await PreflightAsync("http://127.0.0.1:1", "/api/command-center/message", "POST", "authorization,content-type");
        stranger.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
        using var page = await PreflightAsync(CrossOriginApp.AllowedOrigin, "/settings", "GET", "authorization");
        page.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse("pages are never opened to other origins");
    }
}
