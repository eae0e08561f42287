using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>
/// A PostgreSQL server of its own (Debian's binaries, as the test command installs them) that a test may stop and start
/// again; the shared server cannot be, other test classes use it meanwhile. As root it runs as <c>postgres</c>, which the
/// server requires, in a folder under /var/tmp that user can reach.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;

    private PrivatePostgres(string bin, string data, int port)
    {
        _bin = bin;
        _data = data;
        Port = port;
    }

    public int Port { get; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql")
            .Select(version => Path.Combine(version, "bin"))
            .Where(folder => File.Exists(Path.Combine(folder, "pg_ctl")) && File.Exists(Path.Combine(folder, "initdb")))
            .OrderByDescending(folder => int.TryParse(Path.GetFileName(Path.GetDirectoryName(folder)), out var major) ? major : 0)
            .FirstOrDefault() ?? throw new InvalidOperationException("No PostgreSQL server binaries under /usr/lib/postgresql: run the tests with scripts/test.sh, which installs them.");
        var data = Path.Combine(IsRoot ? "/var/tmp" : Path.GetTempPath(), $"cc-e2e-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        if (IsRoot)
        {
            await RunAsync("chown", "postgres:postgres", data);
        }

        var server = new PrivatePostgres(bin, data, FreePort());
        await server.RunAsOwnerAsync("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the stopped server on the same port and data.</summary>
    public Task StartAgainAsync() => RunAsOwnerAsync(
        "pg_ctl", "start", "-w", "-t", "60", "-D", _data, "-l", Path.Combine(_data, "server.log"),
        "-o", $"-p {Port} -k {_data} -c listen_addresses=127.0.0.1 -c fsync=off");

    /// <summary>Stops the server as an administrator's restart does: open sessions get 57P01, new connections are refused.</summary>
    public Task StopAsync() => RunAsOwnerAsync("pg_ctl", "stop", "-w", "-m", "fast", "-D", _data);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsOwnerAsync("pg_ctl", "stop", "-w", "-m", "immediate", "-D", _data);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_data, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunAsOwnerAsync(string tool, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments]) : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
