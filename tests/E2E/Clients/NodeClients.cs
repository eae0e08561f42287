using System.Diagnostics;
using System.Text.Json;

namespace CommandCenter.E2E.Clients;

/// <summary>Which variable carries the key: Claude Code sends <c>ANTHROPIC_API_KEY</c> as <c>x-api-key</c> and
/// <c>ANTHROPIC_AUTH_TOKEN</c> as <c>Authorization: Bearer</c>; the TypeScript SDK 1.x sends either as a bearer token.</summary>
public enum KeyVariable
{
    ApiKey,
    AuthToken,
}

/// <summary>What a client process printed and how it ended.</summary>
public sealed record ClientRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The JSON object the client printed last (both clients print one on stdout); throws with the whole run when there is none.</summary>
    public JsonElement Json
    {
        get
        {
            var last = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            try
            {
                return JsonDocument.Parse(last ?? "").RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new InvalidOperationException($"{this} printed no JSON object.");
            }
        }
    }

    public override string ToString() => $"`{Command}` exited with {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the official Anthropic clients pinned in tests/E2E/Clients (package.json, package-lock.json) against a base URL
/// (the fake upstream, or Command Center's gateway): the TypeScript SDK through sdk-check.mjs, and Claude Code in print
/// mode. Each run gets an environment built from nothing (PATH and a throwaway HOME), so the machine's own ANTHROPIC_*
/// variables, proxies and Claude Code config are never seen; it is killed, with its children, after 120 s.
/// </summary>
public static class NodeClients
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>tests/E2E/Clients in the source tree (where package.json and node_modules live).</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>Claude Code's launcher as npm installs it.</summary>
    public static string ClaudePath => Path.Combine(Folder, "node_modules", ".bin", "claude");

    // Set for every Claude Code run: nothing but the model requests leaves the process. NONESSENTIAL_TRAFFIC is the one
    // that matters (without it Claude Code makes DNS look-ups and a HEAD /api/hello to the base URL); the others name each
    // kind of traffic it covers, should a later version split them up. No retries: a test sees a failure as it came.
    private static readonly Dictionary<string, string> ClaudeCodeQuiet = new()
    {
        ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
        ["DISABLE_TELEMETRY"] = "1",
        ["DISABLE_ERROR_REPORTING"] = "1",
        ["DISABLE_AUTOUPDATER"] = "1",
        ["CLAUDE_CODE_MAX_RETRIES"] = "0",
    };

    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static bool _installed;

    /// <summary>
    /// Runs <c>npm ci</c> in <see cref="Folder"/> when node_modules is missing or older than the lock file: once per test
    /// run, whichever class asks first; a lock file keeps two test processes from installing at once.
    /// </summary>
    public static async Task EnsureInstalledAsync(CancellationToken ct)
    {
        await InstallGate.WaitAsync(ct);
        try
        {
            if (_installed) return;
            await using var crossProcess = await LockAsync(Path.Combine(Folder, ".npm-ci.lock"), ct);
            if (!IsInstalled())
            {
                var npm = FindOnPath("npm") ?? throw new InvalidOperationException(
                    "npm is not on PATH: the official-client tests need Node.js and npm (scripts/test.sh installs Debian's nodejs and npm).");
                // npm keeps the machine's environment (its cache, its registry settings), less any ANTHROPIC_* variable.
                var run = await RunAsync(npm, ["ci", "--no-audit", "--no-fund"], Folder, new Dictionary<string, string>(), ct, isolated: false);
                if (run.ExitCode != 0 || !IsInstalled())
                    throw new InvalidOperationException($"npm ci in {Folder} failed: {run}");
            }
            _installed = true;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>
    /// <c>node sdk-check.mjs MODEL</c>: one streamed message, one whole message, one token count and the full model list
    /// through the official TypeScript SDK; prints what it received (or <c>{"error": …}</c> and exits 1).
    /// </summary>
    public static async Task<ClientRun> RunSdkCheckAsync(Uri baseUrl, string key, string model, CancellationToken ct, KeyVariable keyVariable = KeyVariable.ApiKey)
    {
        await EnsureInstalledAsync(ct);
        var node = FindOnPath("node") ?? throw new InvalidOperationException("node is not on PATH.");
        return await RunAsync(node, [Path.Combine(Folder, "sdk-check.mjs"), model], Folder, ClientEnvironment(baseUrl, key, keyVariable), ct);
    }

    /// <summary>
    /// <c>claude -p PROMPT --output-format json --model MODEL --max-turns 1</c> in an empty folder: one prompt, one turn;
    /// prints Claude Code's result object (<c>is_error</c>, <c>result</c>, <c>usage</c>, <c>modelUsage</c> …).
    /// <paramref name="extraEnvironment"/> adds or overrides variables (e.g. <c>CLAUDE_CODE_MAX_RETRIES</c>).
    /// </summary>
    public static async Task<ClientRun> RunClaudeCodeAsync(
        Uri baseUrl, string key, string model, string prompt, CancellationToken ct,
        KeyVariable keyVariable = KeyVariable.AuthToken, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        await EnsureInstalledAsync(ct);
        var environment = ClientEnvironment(baseUrl, key, keyVariable);
        foreach (var (name, value) in ClaudeCodeQuiet) environment[name] = value;
        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string>()) environment[name] = value;
        return await RunAsync(ClaudePath,
            ["-p", prompt, "--output-format", "json", "--model", model, "--max-turns", "1", "--no-session-persistence"],
            workingDirectory: null, environment, ct);
    }

    private static Dictionary<string, string> ClientEnvironment(Uri baseUrl, string key, KeyVariable keyVariable) => new()
    {
        ["ANTHROPIC_BASE_URL"] = baseUrl.ToString().TrimEnd('/'),
        [keyVariable == KeyVariable.ApiKey ? "ANTHROPIC_API_KEY" : "ANTHROPIC_AUTH_TOKEN"] = key,
    };

    /// <summary>
    /// Runs <paramref name="fileName"/> with only PATH, a throwaway HOME (also Claude Code's config folder and, when
    /// <paramref name="workingDirectory"/> is null, the working directory) and <paramref name="environment"/>; stdin closed.
    /// Not <paramref name="isolated"/>: the machine's environment less ANTHROPIC_* and CLAUDE* variables, and 10 minutes.
    /// </summary>
    public static async Task<ClientRun> RunAsync(
        string fileName, IReadOnlyList<string> arguments, string? workingDirectory, IReadOnlyDictionary<string, string> environment,
        CancellationToken ct, bool isolated = true)
    {
        var home = Directory.CreateTempSubdirectory("cc-node-client-");
        try
        {
            var start = new ProcessStartInfo(fileName)
            {
                WorkingDirectory = workingDirectory ?? Directory.CreateDirectory(Path.Combine(home.FullName, "work")).FullName,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            if (isolated)
            {
                start.Environment.Clear();
                start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
                start.Environment["HOME"] = home.FullName;
                start.Environment["TMPDIR"] = home.FullName;
                start.Environment["XDG_CONFIG_HOME"] = Path.Combine(home.FullName, ".config");
                start.Environment["CLAUDE_CONFIG_DIR"] = Path.Combine(home.FullName, ".claude");
                start.Environment["LANG"] = "C.UTF-8";
            }
            else
            {
                foreach (var name in start.Environment.Keys.Where(n => n.StartsWith("ANTHROPIC_", StringComparison.OrdinalIgnoreCase)
                    || n.StartsWith("CLAUDE", StringComparison.OrdinalIgnoreCase)).ToList())
                    start.Environment.Remove(name);
            }
            foreach (var (name, value) in environment) start.Environment[name] = value;

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(isolated ? Timeout : TimeSpan.FromMinutes(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It ended just now.
                }
                await process.WaitForExitAsync(CancellationToken.None);
                var killed = new ClientRun(Describe(fileName, arguments), -1, await stdout, await stderr);
                if (ct.IsCancellationRequested) throw;
                throw new TimeoutException($"Killed after its time was up: {killed}");
            }
            var run = new ClientRun(Describe(fileName, arguments), process.ExitCode, await stdout, await stderr);
            TestContext.Current.TestOutputHelper?.WriteLine(run.ToString()); // shown beside a failed test
            return run;
        }
        finally
        {
            try
            {
                home.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A child that outlived the run may still hold a file there; the OS cleans the temp folder.
            }
        }
    }

    private static bool IsInstalled()
    {
        // npm writes node_modules/.package-lock.json on every install; a newer lock file means the pins changed since.
        var installed = Path.Combine(Folder, "node_modules", ".package-lock.json");
        return File.Exists(installed) && File.Exists(ClaudePath)
            && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(Path.Combine(Folder, "package-lock.json"));
    }

    private static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, ct); // another test process is installing
            }
        }
    }

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string Describe(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(Path.GetFileName(fileName)).Select(a => a.Contains(' ') ? $"\"{a}\"" : a));

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var folder = Path.Combine(dir.FullName, "tests", "E2E", "Clients");
            if (File.Exists(Path.Combine(folder, "package.json"))) return folder;
        }

        throw new DirectoryNotFoundException("tests/E2E/Clients/package.json not found above the test assembly.");
    }
}
