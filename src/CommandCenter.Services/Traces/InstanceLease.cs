using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CommandCenter.Services.Traces;

/// <summary>
/// This process's claim on the traces it runs: a PostgreSQL session advisory lock on <see cref="Key"/>, held on a
/// dedicated connection for the life of the process. The server frees it when the process dies, which is how a
/// starting instance tells a dead instance's 'running' traces from a live one's (see <see cref="StaleTraceReaper"/>).
/// </summary>
public sealed partial class InstanceLease(IDbContextFactory<CommandCenterDbContext> dbFactory, ILogger<InstanceLease> logger) : IAsyncDisposable
{
    // Short, because a database restart frees the lock: until it is retaken, a starting instance could reap our traces.
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    // Disposing the timer ends the wait below with false.
    private readonly PeriodicTimer _timer = new(CheckInterval);
    private NpgsqlConnection? _connection;
    private Task? _keepAlive;

    public long Key { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>Takes the lock; from then on a background loop retakes it if the connection drops.</summary>
    public async Task AcquireAsync(CancellationToken ct)
    {
        _connection = await LockAsync(ct);
        _keepAlive = KeepAliveAsync(_stopping.Token);
    }

    private async Task<NpgsqlConnection> LockAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Its own connection, outside the pool: never a dead pooled one after a restart, and never one of the pool's slots.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection) { Parameters = { new() { Value = Key } } };
        await command.ExecuteNonQueryAsync(ct);
        return connection;
    }

    private async Task KeepAliveAsync(CancellationToken ct)
    {
        while (await _timer.WaitForNextTickAsync(CancellationToken.None) && !ct.IsCancellationRequested)
        {
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                await ping.ExecuteScalarAsync(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogLeaseLost(logger, e);
                try
                {
                    await (_connection?.DisposeAsync() ?? ValueTask.CompletedTask);
                    _connection = await LockAsync(ct);
                }
                catch (Exception retry) when (!ct.IsCancellationRequested)
                {
                    LogLeaseLost(logger, retry);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _timer.Dispose();
        await (_keepAlive ?? Task.CompletedTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await (_connection?.DisposeAsync() ?? ValueTask.CompletedTask);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The instance lease connection failed; retaking the lease")]
    private static partial void LogLeaseLost(ILogger logger, Exception exception);
}
