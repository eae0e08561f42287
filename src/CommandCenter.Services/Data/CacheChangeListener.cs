using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CommandCenter.Services.Data;

/// <summary>
/// Keeps every instance's <see cref="ShortCache"/> true to the database: triggers on agents, model_prices and AspNetUsers
/// send a NOTIFY in the same transaction as each change (so an edit made by another instance, or by hand in psql, is
/// announced too), and this listener evicts the entry it names. Listening starts before the app serves; a lost
/// connection is reopened, and what was cached while nobody listened is dropped.
/// </summary>
public sealed partial class CacheChangeListener(IDbContextFactory<CommandCenterDbContext> dbFactory, ShortCache cache, ILogger<CacheChangeListener> logger)
    : IHostedService
{
    public const string Channel = "cache_changes";

    /// <summary>Names the listening connection in pg_stat_activity.</summary>
    public const string ApplicationName = "Command Center cache listener";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();
    private Task? _listening;

    public async Task StartAsync(CancellationToken ct)
    {
        var connection = await ListenAsync(ct);
        _listening = Task.Run(() => RunAsync(connection, _stopping.Token), CancellationToken.None);
    }

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken ct)
    {
        string connectionString;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            // Its own connection, outside the pool; the keepalive finds a connection that died silently.
            connectionString = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false, KeepAlive = 10, ApplicationName = ApplicationName }.ConnectionString;
        }

        var connection = new NpgsqlConnection(connectionString);
        connection.Notification += (_, notice) =>
        {
            cache.Evict(notice.Payload);
            LogEvicted(logger, notice.Payload);
        };
        try
        {
            await connection.OpenAsync(ct);
            await using var listen = new NpgsqlCommand($"LISTEN {Channel}", connection);
            await listen.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task RunAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                try
                {
                    await connection.WaitAsync(ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    LogLost(logger, e);
                    await connection.DisposeAsync();
                    connection = await ReconnectAsync(ct);
                }
            }
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    private async Task<NpgsqlConnection> ReconnectAsync(CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(RetryDelay, ct);
            try
            {
                var connection = await ListenAsync(ct);
                cache.Clear();
                LogListeningAgain(logger);
                return connection;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogStillLost(logger, e);
            }
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        await _stopping.CancelAsync();
        await (_listening ?? Task.CompletedTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cache entry {Key} evicted: changed in the database")]
    private static partial void LogEvicted(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection that hears of cache changes; entries expire within seconds until it is back")]
    private static partial void LogLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Still cannot hear of cache changes")]
    private static partial void LogStillLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hearing of cache changes again")]
    private static partial void LogListeningAgain(ILogger logger);
}
