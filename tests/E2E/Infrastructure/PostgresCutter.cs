using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>
/// A TCP relay in front of PostgreSQL that, when armed, lets one statement through, waits until the server has run it
/// (its <c>ReadyForQuery</c>: the implicit transaction has committed), then closes the client's connection without
/// passing the answer on: a write that commits and loses its connection, as a network cut or a restart can make one.
/// Plain TCP only: the test cluster has no TLS.
/// </summary>
public sealed class PostgresCutter : IAsyncDisposable
{
    // ReadyForQuery: type 'Z', length 5 (then one status byte).
    private static readonly byte[] ReadyForQuery = [(byte)'Z', 0, 0, 0, 5];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _server;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private byte[]? _trigger;
    private int _cuts;

    public PostgresCutter(string serverConnectionString)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        _server = new IPEndPoint(IPAddress.Parse(server.Host == "localhost" ? "127.0.0.1" : server.Host!), server.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections were cut so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>The same connection string, through this relay.</summary>
    public string Through(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = Port }.ConnectionString;

    /// <summary>Cuts the next connection that sends a statement containing <paramref name="sql"/>, once the server has run it.</summary>
    public void CutAfter(string sql) => Volatile.Write(ref _trigger, Encoding.UTF8.GetBytes(sql));

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_server, _stopping.Token);
            var cutting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var up = PumpUpAsync(client.GetStream(), server.GetStream(), cutting, done.Token);
            var down = PumpDownAsync(server.GetStream(), client.GetStream(), cutting.Task, done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
        }
        catch (Exception)
        {
            // A connection that ends, however, ends the relay.
        }
    }

    private async Task PumpUpAsync(NetworkStream from, NetworkStream to, TaskCompletionSource cutting, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            if (Volatile.Read(ref _trigger) is { } trigger && buffer.AsSpan(0, read).IndexOf(trigger) >= 0
                && Interlocked.CompareExchange(ref _trigger, null, trigger) == trigger)
            {
                cutting.TrySetResult();
            }

            await to.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }

    private async Task PumpDownAsync(NetworkStream from, NetworkStream to, Task cutting, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var held = new List<byte>();
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            if (!cutting.IsCompleted)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), ct);
                continue;
            }

            // The statement went up: its answer is held back until the server says it is done, then the client is cut off.
            held.AddRange(buffer.AsSpan(0, read));
            if (held.ToArray().AsSpan().IndexOf(ReadyForQuery) >= 0)
            {
                Interlocked.Increment(ref _cuts);
                to.Socket.Close(0);
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
    }
}
