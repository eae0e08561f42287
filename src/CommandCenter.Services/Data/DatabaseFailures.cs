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
        if (command.Connection is NpgsqlConnection connection && DatabaseFailures.IsTransient(exception))
        {
            NpgsqlConnection.ClearPool(connection);
        }
    }
}
