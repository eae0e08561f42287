using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CommandCenter.Services.Data;

/// <summary>One NOTIFY channel's subscriber: PostgreSQL is the bus between instances, no other infrastructure.</summary>
public interface IDatabaseNotifications
{
    string Channel { get; }

    /// <summary>Called on the listening connection's thread, in the order the notifications were committed: return quickly.</summary>
    void OnNotification(string payload);

    /// <summary>The listening connection was lost and is back: whatever was sent meanwhile was missed.</summary>
    void OnMissed();
}

/// <summary>
/// Hears every instance's NOTIFYs on one connection of its own and hands each to its channel's subscriber. Listening
/// starts before the app serves; a lost connection is reopened, and the subscribers are told that they missed some.
/// </summary>
public sealed partial class DatabaseListener(
    IDbContextFactory<CommandCenterDbContext> dbFactory, IEnumerable<IDatabaseNotifications> subscribers, ILogger<DatabaseListener> logger)
    : IHostedService
{
    /// <summary>Names the listening connection in pg_stat_activity.</summary>
    public const string ApplicationName = "Command Center listener";

    private readonly Dictionary<string, IDatabaseNotifications> _byChannel = subscribers.ToDictionary(s => s.Channel);

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
            try
            {
                _byChannel[notice.Channel].OnNotification(notice.Payload);
            }
            catch (Exception e)
            {
                LogSubscriberFailed(logger, notice.Channel, e);
            }
        };
        try
        {
            await connection.OpenAsync(ct);
            await using var listen = new NpgsqlCommand(string.Concat(_byChannel.Keys.Select(channel => $"LISTEN {channel};")), connection);
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
                    Lost?.Invoke();
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
                foreach (var subscriber in _byChannel.Values)
                {
                    subscriber.OnMissed();
                }

                LogListeningAgain(logger);
                ListeningAgain?.Invoke();
                return connection;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogStillLost(logger, e);
            }
        }
    }

    /// <summary>The listening connection was lost, and later found again: tests wait on these, not on log lines.</summary>
    internal event Action? Lost;

    internal event Action? ListeningAgain;

    public async Task StopAsync(CancellationToken ct)
    {
        await _stopping.CancelAsync();
        await (_listening ?? Task.CompletedTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The subscriber to {Channel} failed on a notification")]
    private static partial void LogSubscriberFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection that hears other instances; cache entries expire within seconds and replies live elsewhere cannot be followed until it is back")]
    private static partial void LogLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Still cannot hear other instances")]
    private static partial void LogStillLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hearing other instances again")]
    private static partial void LogListeningAgain(ILogger logger);
}
