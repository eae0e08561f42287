using System.Net;
using System.Net.Sockets;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Clients;

/// <summary>The README's SSE example (<c>docs/stream-example.mjs</c>), run as is with node: a reply streams, and a failure is one clear line.</summary>
public sealed class StreamExampleTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Example = Path.GetFullPath(Path.Combine(NodeClients.Folder, "..", "..", "..", "docs", "stream-example.mjs"));

    private static async Task<ClientRun> RunAsync(Uri baseUrl, string email, string password, string agentId)
    {
        var node = NodeClients.FindOnPath("node") ?? throw new InvalidOperationException("node is not on PATH.");
        return await NodeClients.RunAsync(node, [Example], workingDirectory: null, new Dictionary<string, string>
        {
            ["CC_URL"] = baseUrl.ToString().TrimEnd('/'), ["CC_EMAIL"] = email, ["CC_PASSWORD"] = password, ["CC_AGENT"] = agentId,
            ["CC_MESSAGE"] = "Hi",
        }, Ct);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task TheExampleStreamsTheReplyAndItsCost()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Hello", " from", " the", " example."], Usage = new FakeUsage(1_000, 100) });

        var run = await RunAsync(app.BaseUrl, user.Email, user.Password, await app.CreateAgentAsync());

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stdout.ShouldBe("Hello from the example.\n$0.0045 (1000 in, 100 out)\n", run.ToString()); // 1,000 × $3 + 100 × $15 per million
        run.Stderr.ShouldBeEmpty(run.ToString());
    }

    [Fact]
    public async Task AWrongPasswordIsOneClearLineAndAFailedExit()
    {
        var run = await RunAsync(app.BaseUrl, CommandCenterApp.AdminEmail, "not-the-password", "any-agent");

        run.ExitCode.ShouldNotBe(0, run.ToString());
        Lines(run.Stderr).ShouldBe([$"Sign-in as {CommandCenterApp.AdminEmail} was refused (401): check CC_EMAIL and CC_PASSWORD."], run.ToString());
        run.Stdout.ShouldBeEmpty(run.ToString());
    }

    [Fact]
    public async Task ARefusedMessageIsOneClearLineAndAFailedExit()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());

        var run = await RunAsync(app.BaseUrl, user.Email, user.Password, "no-such-agent");

        run.ExitCode.ShouldNotBe(0, run.ToString());
        Lines(run.Stderr).ShouldBe(["The message was refused (404): Agent with ID no-such-agent not found"], run.ToString());
    }

    [Fact]
    public async Task NoServerIsOneClearLineAndAFailedExit()
    {
        // A port that was free a moment ago: nothing listens there.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var run = await RunAsync(new Uri($"http://127.0.0.1:{port}"), CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword, "any-agent");

        run.ExitCode.ShouldNotBe(0, run.ToString());
        Lines(run.Stderr).ShouldHaveSingleItem(run.ToString()).ShouldStartWith($"Cannot reach Command Center at http://127.0.0.1:{port}: ");
    }
}
