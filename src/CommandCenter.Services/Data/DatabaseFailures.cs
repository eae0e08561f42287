using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace CommandCenter.Services.Data;

/// <summary>Which database failures pass by themselves (a restart, a dropped or stale connection, a full server).</summary>
public static class DatabaseFailures
{
    public static bool IsTransient(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    // Npgsql's list, plus the codes a restart sends to open sessions (57P01 admin_shutdown, 57P02 crash_shutdown)
                    // and connection exceptions (class 08).
                    return postgres.IsTransient || postgres.SqlState is "57P01" or "57P02" or "57P03" || postgres.SqlState.StartsWith("08", StringComparison.Ordinal);
                case NpgsqlException { IsTransient: true }:
                case TimeoutException or IOException or System.Net.Sockets.SocketException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The database is there but busy: no pooled connection came free, a connection attempt or a command timed out.
    /// Waiting helps; a refused connection (the server is down) is not this.
    /// </summary>
    public static bool IsBusy(Exception e)
    {
        var timedOut = false;
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is System.Net.Sockets.SocketException or IOException or PostgresException)
            {
                return false;
            }

            timedOut |= current is TimeoutException;
        }

        return timedOut;
    }

    /// <summary>
    /// Under a burst every pooled connection is busy and PostgreSQL is slow: work that has written nothing yet waits its
    /// turn (Npgsql queues it for a connection for the connection string's Timeout, and it queues again) rather than
    /// fail, for up to <paramref name="maxWait"/>. Any other failure, a database that is down included, is thrown at once.
    /// </summary>
    public static async Task<T> WaitWhileBusyAsync<T>(Func<Task<T>> attempt, TimeSpan maxWait, TimeProvider clock, Action<Exception> waiting, CancellationToken ct)
    {
        var since = clock.GetTimestamp();
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception e) when (IsBusy(e) && !ct.IsCancellationRequested && clock.GetElapsedTime(since) < maxWait)
            {
                waiting(e);
            }
        }
    }

    /// <summary>How long a request that has written nothing waits for a busy database before it is refused.</summary>
    public static readonly TimeSpan BusyWait = TimeSpan.FromSeconds(60);

    /// <summary>A short description for a log line: the SQL state, or the exception's type and message.</summary>
    public static string Describe(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return $"{postgres.SqlState} {postgres.MessageText}";
            }

            if (current is NpgsqlException or TimeoutException or IOException)
            {
                return $"{current.GetType().Name}: {current.Message}";
            }
        }

        return e.GetType().Name;
    }
}

/// <summary>
/// After a database restart every idle pooled connection is dead, and Npgsql finds that out one command at a time.
/// The first command that fails on a broken connection empties the idle pool, so the next one opens a fresh connection.
/// </summary>
internal sealed class BrokenConnectionInterceptor : DbCommandInterceptor
{
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => ForgetIdleConnections(command, eventData.Exception);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken ct = default)
    {
        ForgetIdleConnections(command, eventData.Exception);
        return Task.CompletedTask;
    }

    private static void ForgetIdleConnections(DbCommand command, Exception exception)
    {
        // A timeout says the server is busy, not that the pool's connections are dead: emptying it would only add connects.
        if (command.Connection is NpgsqlConnection connection && DatabaseFailures.IsTransient(exception) && !DatabaseFailures.IsBusy(exception))
        {
            NpgsqlConnection.ClearPool(connection);
        }
    }
}
