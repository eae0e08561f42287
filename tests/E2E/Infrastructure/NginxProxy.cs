using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>
/// A real nginx (Debian's, found at <c>CC_NGINX</c> or /usr/sbin/nginx) running the repository's deploy/nginx.conf, with
/// its two upstream servers pointed at the given instances and its listen port at a free one on 127.0.0.1.
/// </summary>
public sealed partial class NginxProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _prefix;

    private NginxProxy(Process process, DirectoryInfo prefix, Uri baseUrl)
    {
        _process = process;
        _prefix = prefix;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>What nginx wrote to its error log (start-up problems, upstreams it gave up on).</summary>
    public string ErrorLog => File.Exists(Path.Combine(_prefix.FullName, "error.log")) ? File.ReadAllText(Path.Combine(_prefix.FullName, "error.log")) : "";

    public static async Task<NginxProxy> StartAsync(Uri first, Uri second)
    {
        var nginx = Environment.GetEnvironmentVariable("CC_NGINX") is { Length: > 0 } configured ? configured : "/usr/sbin/nginx";
        if (!File.Exists(nginx))
        {
            throw new InvalidOperationException($"nginx is not installed at {nginx}: scripts/test.sh installs it (apt-get install nginx), or set CC_NGINX.");
        }

        // nginx's workers run as nobody when it is started as root: their temporary files must be theirs to write.
        var prefix = Directory.CreateTempSubdirectory("cc-nginx-");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(prefix.FullName, (UnixFileMode)0b111_111_111);
        }

        var port = FreePort();
        var site = Servers().Replace(File.ReadAllText(DeployConfig()), match => match.Groups["port"].Value == "5001" ? $"server 127.0.0.1:{first.Port};" : $"server 127.0.0.1:{second.Port};");
        site = Listen().Replace(site, $"listen 127.0.0.1:{port};");
        var tmp = prefix.FullName;
        File.WriteAllText(Path.Combine(tmp, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{tmp}}/nginx.pid;
            error_log {{tmp}}/error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path {{tmp}}/client_body;
                proxy_temp_path {{tmp}}/proxy;
                fastcgi_temp_path {{tmp}}/fastcgi;
                uwsgi_temp_path {{tmp}}/uwsgi;
                scgi_temp_path {{tmp}}/scgi;
            {{site}}
            }
            """);

        var process = Process.Start(new ProcessStartInfo(nginx, ["-p", tmp, "-c", Path.Combine(tmp, "nginx.conf"), "-e", Path.Combine(tmp, "error.log")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var proxy = new NginxProxy(process, prefix, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await AcceptsAsync(port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var log = proxy.ErrorLog;
                await proxy.DisposeAsync();
                throw new InvalidOperationException($"nginx did not start: {log}");
            }

            await Task.Delay(50);
        }

        return proxy;
    }

    private static string DeployConfig()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var config = Path.Combine(dir.FullName, "deploy", "nginx.conf");
            if (File.Exists(config))
            {
                return config;
            }
        }

        throw new FileNotFoundException("deploy/nginx.conf not found above the test assembly.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"server 127\.0\.0\.1:(?<port>500[12]);")]
    private static partial Regex Servers();

    [GeneratedRegex(@"listen 8080;")]
    private static partial Regex Listen();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            _prefix.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
