using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using CommandCenter.E2E.Clients;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Deploy;

/// <summary>
/// <c>scripts/run.sh</c> run twice: the real script started for real (<c>--fake</c>, on its own ports and a fresh database), then
/// again while it runs. And run while its addresses are taken: by a running Command Center (one line with its URL, exit 0), by
/// another program (one line, exit 1), or, for <c>--fake</c>, by a fake an earlier run left (used as it is). All of that is decided
/// before anything is built: in those tests <c>dotnet</c> is a stub that only notes how it was called, and no database is touched.
/// </summary>
public sealed class RunScriptTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Root = FindRoot();

    private readonly DirectoryInfo _stub = Directory.CreateTempSubdirectory("cc-run-sh-");

    private string DotnetCalls => Path.Combine(_stub.FullName, "dotnet-calls");

    public void Dispose() => _stub.Delete(recursive: true);

    /// <summary>
    /// <c>bash scripts/run.sh ARGS</c> with <paramref name="environment"/> and a stub <c>dotnet</c> first on PATH; the database,
    /// the administrator and the certificate are given, so the script needs none of its own.
    /// </summary>
    private async Task<ClientRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dotnet = Path.Combine(_stub.FullName, "dotnet");
        await File.WriteAllTextAsync(dotnet, $"#!/usr/bin/env bash\nprintf '%s | Anthropic__BaseUrl=%s\\n' \"$*\" \"${{Anthropic__BaseUrl:-}}\" >> '{DotnetCalls}'\n", Ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var all = new Dictionary<string, string>
        {
            ["PATH"] = $"{_stub.FullName}:{Environment.GetEnvironmentVariable("PATH")}",
            ["ConnectionStrings__CommandCenter"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none",
            ["Seed__AdminEmail"] = "admin@run-sh.test",
            ["Seed__AdminPassword"] = "Run-Sh-Pass-123",
            ["DataProtection__CertificatePath"] = Path.Combine(_stub.FullName, "none.pfx"),
            ["DataProtection__CertificatePassword"] = "none",
        };
        foreach (var (name, value) in environment) all[name] = value;
        return await NodeClients.RunAsync("bash", [Path.Combine(Root, "scripts", "run.sh"), .. args], Root, all, Ct);
    }

    private string[] DotnetWasCalledWith() => File.Exists(DotnetCalls) ? File.ReadAllLines(DotnetCalls) : [];

    private static string OneLine(ClientRun run)
    {
        var lines = (run.Stdout + run.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.ShouldHaveSingleItem(run.ToString());
    }

    /// <summary>A port something listens on that does not answer HTTP.</summary>
    private static TcpListener Squatter()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int PortOf(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>A port nothing listens on (free a moment ago).</summary>
    private static int FreePort()
    {
        using var listener = Squatter();
        var port = PortOf(listener);
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task RunTwiceTheSecondCopySaysInOneLineThatTheFirstIsRunningAndExitsZero()
    {
        var appUrl = $"http://127.0.0.1:{FreePort()}";
        var fakePort = FreePort();
        await using var database = TestDatabase.Reserve(); // does not exist yet: the first copy's first start creates it
        var environment = new Dictionary<string, string>
        {
            ["CC_URLS"] = appUrl,
            ["CC_FAKE_PORT"] = fakePort.ToString(CultureInfo.InvariantCulture),
            ["ConnectionStrings__CommandCenter"] = database.ConnectionString,
            ["Seed__AdminEmail"] = "admin@run-sh.test",
            ["Seed__AdminPassword"] = "Run-Sh-Pass-123",
            ["DataProtection__CertificatePath"] = CreateCertificate("Run-Sh-Cert-123"),
            ["DataProtection__CertificatePassword"] = "Run-Sh-Cert-123",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };

        await using (var first = RunningScript.Start(Path.Combine(Root, "scripts", "run.sh"), Root, environment, "--fake"))
        {
            await first.WaitUntilHealthyAsync(new Uri(appUrl), TimeSpan.FromMinutes(5), Ct);

            // The second copy, with and without --fake: one line naming the first, exit 0, and nothing built or started.
            foreach (var args in (string[][])[["--fake"], []])
            {
                var clock = Stopwatch.StartNew();
                var second = await NodeClients.RunAsync("bash", [Path.Combine(Root, "scripts", "run.sh"), .. args], Root, environment, Ct);
                second.ExitCode.ShouldBe(0, second.ToString());
                OneLine(second).ShouldBe($"==> Command Center is already running at {appUrl}");
                clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "decided before anything is built");
            }

            // The first copy still serves, with the demo fake: an agent that thinks and searches shows its thinking, the search
            // (two results) and the citations.
            await DemoReplyShowsThinkingASearchAndCitationsAsync(new Uri(appUrl), environment["Seed__AdminEmail"], environment["Seed__AdminPassword"]);

            // A newcomer's first screen: the first start on an empty database logged no false alarm.
            var output = first.Output;
            output.ShouldContain("Now listening on: " + appUrl);
            output.Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal))
                .ShouldBeEmpty(output);

            // Stopped as Ctrl-C or a service manager stops it: the app and the fake it started go, and free their ports.
            (await first.StopAsync(TimeSpan.FromSeconds(60))).ShouldBeTrue(first.Output);
            first.Survivors().ShouldBeEmpty("run.sh leaves nothing of its own running");
        }

        PortIsFree(new Uri(appUrl).Port).ShouldBeTrue();
        PortIsFree(fakePort).ShouldBeTrue();
    }

    private static async Task DemoReplyShowsThinkingASearchAndCitationsAsync(Uri baseUrl, string email, string password)
    {
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        using (var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password }, Ct))
        {
            login.StatusCode.ShouldBe(HttpStatusCode.OK, await login.Content.ReadAsStringAsync(Ct));
            var token = (await login.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        (await http.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey = CommandCenterApp.NewApiKey() }, Ct)).EnsureSuccessStatusCode();
        using var agent = await http.PostAsJsonAsync("/api/agents", new
        {
            name = "Demo", model = "claude-sonnet-4-6", systemPrompt = "Be helpful.", maxTokens = 4096, status = "ACTIVE",
            thinking = new { mode = "adaptive", show = true }, webSearch = new { enabled = true },
        }, Ct);
        agent.StatusCode.ShouldBe(HttpStatusCode.Created, await agent.Content.ReadAsStringAsync(Ct));
        var agentId = (await agent.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();

        using var reply = await http.PostAsJsonAsync("/api/command-center/message", new { agentId, conversationId = (string?)null, message = "What is new?" }, Ct);
        reply.StatusCode.ShouldBe(HttpStatusCode.OK, await reply.Content.ReadAsStringAsync(Ct));
        var events = await SseReader.ReadAllAsync(reply, Ct);
        var types = string.Join(", ", events.Select(e => e.Type).Distinct());
        events[^1].Type.ShouldBe("done", types);
        events.ShouldContain(e => e.Type == "thinking", types);
        events.Where(e => e.Type == "tool").Select(e => e.Data.GetProperty("status").GetString()).ShouldBe(["running", "done"], types);
        events.Count(e => e.Type == "citation").ShouldBe(2, types);
    }

    /// <summary>A self-signed PFX for the Data Protection key ring, so the script makes none under the repository's <c>.data</c>.</summary>
    private string CreateCertificate(string password)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=run.sh test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_stub.FullName, "dataprotection.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// The script running in the background with the machine's environment (dotnet needs its package cache) less MSBuild's
    /// variables from this test run, plus the given ones; output collected as it comes.
    /// </summary>
    private sealed class RunningScript : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly HashSet<int> _family = [];

        private RunningScript(Process process)
        {
            _process = process;
        }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        public static RunningScript Start(string script, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
        {
            var start = new ProcessStartInfo("bash")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(script);
            foreach (var arg in args) start.ArgumentList.Add(arg);
            foreach (var name in start.Environment.Keys.Where(n => n.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(name);
            }

            start.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // no build nodes left behind by the script's builds
            foreach (var (name, value) in environment) start.Environment[name] = value;
            var process = new Process { StartInfo = start };
            var running = new RunningScript(process);
            process.OutputDataReceived += (_, e) => running.Append(e.Data);
            process.ErrorDataReceived += (_, e) => running.Append(e.Data);
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return running;
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.Append(line).Append('\n');
        }

        public async Task WaitUntilHealthyAsync(Uri baseUrl, TimeSpan timeout, CancellationToken ct)
        {
            using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < timeout)
            {
                NoteFamily();
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"run.sh exited with {_process.ExitCode} before it served:\n{Output}");
                }

                try
                {
                    if (await http.GetStringAsync("/health/ready", ct) == "Healthy")
                    {
                        NoteFamily();
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet (building, starting the fake, migrating).
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Listening but not answering yet.
                }

                await Task.Delay(500, ct);
            }

            throw new TimeoutException($"run.sh did not serve {baseUrl} within {timeout}:\n{Output}");
        }

        /// <summary>SIGTERM to the script, as a service manager stops it; true when it ended within <paramref name="timeout"/>.</summary>
        public async Task<bool> StopAsync(TimeSpan timeout)
        {
            NoteFamily();
            if (_process.HasExited) return true;
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            using var waited = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(waited.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        /// <summary>
        /// The script's app and fake processes (seen while it ran) that are still alive. Build servers that <c>dotnet run</c> may
        /// leave for later builds are not the script's to stop.
        /// </summary>
        public List<int> Survivors() => [.. _family.Where(pid => Alive(pid) && CommandLine(pid).Contains("CommandCenter", StringComparison.Ordinal))];

        private static string CommandLine(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "";
            }
        }

        /// <summary>Notes every descendant of the script now alive (the fake runs in a session of its own, so /proc is asked by parent).</summary>
        private void NoteFamily()
        {
            if (_process.HasExited) return;
            var children = new Dictionary<int, List<int>>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                try
                {
                    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after its last ')'.
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                    if (!children.TryGetValue(ppid, out var list)) children[ppid] = list = [];
                    list.Add(pid);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    // It ended while being read.
                }
            }

            var pending = new Stack<int>([_process.Id]);
            while (pending.TryPop(out var pid))
            {
                foreach (var child in children.GetValueOrDefault(pid) ?? [])
                {
                    if (_family.Add(child)) pending.Push(child);
                }
            }
        }

        private static bool Alive(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        /// <summary>Whatever a failed test left: the script, then each process it started, by id.</summary>
        public async ValueTask DisposeAsync()
        {
            if (!await StopAsync(TimeSpan.FromSeconds(30)))
            {
                _process.Kill(entireProcessTree: true);
            }

            foreach (var pid in Survivors())
            {
                try
                {
                    using var survivor = Process.GetProcessById(pid);
                    survivor.Kill(entireProcessTree: true);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Gone meanwhile.
                }
            }

            _process.Dispose();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACommandCenterRunningThereIsOneLineWithItsUrlAndExitZero(bool fake)
    {
        var url = $"http://127.0.0.1:{app.BaseUrl.Port}";
        using var squatter = Squatter(); // the fake's port is not even looked at

        var run = await RunAsync(new Dictionary<string, string> { ["CC_URLS"] = url, ["CC_FAKE_PORT"] = PortOf(squatter).ToString() }, fake ? new[] { "--fake" } : []);

        run.ExitCode.ShouldBe(0, run.ToString());
        OneLine(run).ShouldBe($"==> Command Center is already running at {url}");
        DotnetWasCalledWith().ShouldBeEmpty("nothing was built");
    }

    [Fact]
    public async Task AnotherProgramOnTheAddressIsOneLineAndAFailedExit()
    {
        using var squatter = Squatter();
        var url = $"http://127.0.0.1:{PortOf(squatter)}";

        var run = await RunAsync(new Dictionary<string, string> { ["CC_URLS"] = url });

        run.ExitCode.ShouldBe(1, run.ToString());
        OneLine(run).ShouldBe($"==> ERROR: {url} is in use by another program (not Command Center); stop it, or choose another address, e.g. CC_URLS=http://127.0.0.1:5001");
        DotnetWasCalledWith().ShouldBeEmpty("nothing was built");
    }

    [Fact]
    public async Task AnotherProgramOnTheFakesPortIsOneLineAndAFailedExit()
    {
        using var squatter = Squatter();

        var run = await RunAsync(new Dictionary<string, string> { ["CC_URLS"] = $"http://127.0.0.1:{FreePort()}", ["CC_FAKE_PORT"] = PortOf(squatter).ToString() }, "--fake");

        run.ExitCode.ShouldBe(1, run.ToString());
        OneLine(run).ShouldBe(
            $"==> ERROR: port {PortOf(squatter)} is in use by another program (not the fake Anthropic upstream); stop it, or choose another port, e.g. CC_FAKE_PORT=5098");
        DotnetWasCalledWith().ShouldBeEmpty("nothing was built");
    }

    [Fact]
    public async Task AFakeLeftRunningIsUsedAsItIsAndLeftRunning()
    {
        // The fixture's fake stands for one an earlier run left: the same handler answers on its port.
        var fakeUrl = $"http://127.0.0.1:{app.Fake.BaseUrl.Port}";
        var appUrl = $"http://127.0.0.1:{FreePort()}";

        var run = await RunAsync(new Dictionary<string, string> { ["CC_URLS"] = appUrl, ["CC_FAKE_PORT"] = app.Fake.BaseUrl.Port.ToString() }, "--fake");

        run.ExitCode.ShouldBe(0, run.ToString()); // the stub "app" ended at once
        run.Stderr.ShouldContain($"==> using the fake Anthropic upstream already running at {fakeUrl} (stop it to start a fresh build)");
        run.Stderr.ShouldNotContain("building and starting the fake");
        DotnetWasCalledWith().ShouldBe(
            [$"run --project src/CommandCenter.Web -c Release --no-launch-profile -- --urls {appUrl} | Anthropic__BaseUrl={fakeUrl}"],
            "only the app was started, pointed at the fake that was there");
        using var http = new HttpClient();
        (await http.GetStringAsync($"{fakeUrl}/fake-anthropic", Ct)).ShouldBe("Command Center's fake Anthropic upstream", "the fake was left running");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "run.sh"))) return dir.FullName;
        }

        throw new DirectoryNotFoundException("scripts/run.sh not found above the test assembly.");
    }
}
