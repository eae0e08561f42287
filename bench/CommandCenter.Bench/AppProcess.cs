using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace CommandCenter.Bench;

/// <summary>
/// The app as it runs in production: its Release build in a process of its own (so that its memory is its own), with
/// production logging, on a database of its own, pointed at the fake upstream; the per-user limits lifted, since the
/// benchmark is one user making thousands of calls.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    public const string AdminEmail = "admin@bench.local";
    public const string AdminPassword = "Bench-Pass-123";

    private readonly Process _process;

    private AppProcess(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public int ProcessId => _process.Id;

    /// <summary>Lines the app wrote to standard output (only kept when asked for, to count its database commands).</summary>
    public List<string> Output { get; } = [];

    public static async Task<AppProcess> StartAsync(string root, string connectionString, Uri upstream, IEnumerable<KeyValuePair<string, string>>? settings = null, bool keepOutput = false)
    {
        var dll = Path.Combine(root, "src/CommandCenter.Web/bin/Release/net10.0/CommandCenter.Web.dll");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.Combine(root, "src/CommandCenter.Web"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__CommandCenter"] = connectionString,
            ["Anthropic__BaseUrl"] = upstream.ToString(),
            ["Seed__AdminEmail"] = AdminEmail,
            ["Seed__AdminPassword"] = AdminPassword,
            ["RateLimits__MessagesPerMinute"] = "100000",
            ["RateLimits__ConcurrentRepliesPerUser"] = "10000",
            ["RateLimits__SignInsPerMinute"] = "100000",
        };
        // CC_BENCH_APP_X=value sets X=value for the app alone (DOTNET_TieredPGO=0, say), not for the load generator.
        var forApp = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => ((string)e.Key).StartsWith("CC_BENCH_APP_", StringComparison.Ordinal))
            .Select(e => KeyValuePair.Create(((string)e.Key)["CC_BENCH_APP_".Length..], (string)e.Value!));
        foreach (var (key, value) in environment.Concat(forApp).Concat(settings ?? []))
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        // Its log goes to bench/app-<port>.log, for when a figure needs explaining.
        var log = new StreamWriter(Path.Combine(root, "bench", $"app-{port}.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            lock (log)
            {
                log.WriteLine(line);
            }

            if (keepOutput)
            {
                lock (app.Output)
                {
                    app.Output.Add(line);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.WriteLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = app.BaseUrl };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (HttpRequestException) when (attempt < 600)
            {
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"The app exited with {process.ExitCode} at start.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The app's live managed memory: dotnet-gcdump (the repo's tool) makes it collect fully, then counts what is left.
    /// Resident memory says little here: the server GC commits its heaps ahead of need and returns them when it likes.
    /// </summary>
    public async Task<long> LiveManagedBytesAsync()
    {
        var dump = Path.Combine(Path.GetTempPath(), $"cc-bench-{Guid.NewGuid():N}.gcdump");
        try
        {
            await RunToolAsync("collect", "-p", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", dump);
            var report = await RunToolAsync("report", dump);
            var line = report.Split('\n').First(l => l.Contains("GC Heap bytes", StringComparison.Ordinal));
            return long.Parse(line.Trim().Split(' ')[0], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            // CC_BENCH_KEEP_DUMPS keeps them, to see what the memory is.
            if (Environment.GetEnvironmentVariable("CC_BENCH_KEEP_DUMPS") is null)
            {
                File.Delete(dump);
            }
        }
    }

    private static async Task<string> RunToolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", ["tool", "run", "dotnet-gcdump", .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var tool = Process.Start(start)!;
        var output = await tool.StandardOutput.ReadToEndAsync();
        await tool.WaitForExitAsync();
        return tool.ExitCode == 0 ? output : throw new InvalidOperationException($"dotnet-gcdump {arguments[0]} failed: {output}{await tool.StandardError.ReadToEndAsync()}");
    }

    /// <summary>Resident memory of the app's process, from /proc.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }

        throw new InvalidOperationException("No VmRSS in /proc status.");
    }

    public async Task<string> LoginAsync(string email, string password)
    {
        using var http = new HttpClient { BaseAddress = BaseUrl };
        var response = await http.PostAsJsonAsync("/api/auth/login", new { email, password });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    /// <summary>An operator with their own key, signed in, and the id of an agent on <paramref name="model"/>.</summary>
    public async Task<(string Token, string Email, string Password)> NewOperatorAsync(string apiKey)
    {
        using var admin = new HttpClient { BaseAddress = BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", await LoginAsync(AdminEmail, AdminPassword));
        var email = $"bench-{Guid.NewGuid():N}@bench.local";
        const string password = "Bench-User-123";
        (await admin.PostAsJsonAsync("/api/users", new { email, password, role = "Operator" })).EnsureSuccessStatusCode();
        var token = await LoginAsync(email, password);
        using var user = new HttpClient { BaseAddress = BaseUrl };
        user.DefaultRequestHeaders.Authorization = new("Bearer", token);
        (await user.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey })).EnsureSuccessStatusCode();
        return (token, email, password);
    }

    /// <summary>An integration key (<c>cc_…</c>) of the user signed in with <paramref name="token"/>, for the gateway.</summary>
    public async Task<string> NewIntegrationKeyAsync(string token)
    {
        using var user = new HttpClient { BaseAddress = BaseUrl };
        user.DefaultRequestHeaders.Authorization = new("Bearer", token);
        // The bench's closed loops far outrun the default message rate.
        var response = await user.PostAsJsonAsync("/api/api-keys", new { name = "bench", messagesPerMinute = 100_000 });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    public async Task<string> NewAgentAsync()
    {
        using var admin = new HttpClient { BaseAddress = BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", await LoginAsync(AdminEmail, AdminPassword));
        var response = await admin.PostAsJsonAsync("/api/agents", new { name = $"Bench {Guid.NewGuid():N}", model = "claude-sonnet-4-6", systemPrompt = "Be brief.", maxTokens = 1024, status = "ACTIVE" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
