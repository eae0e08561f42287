using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>
/// Counts the database round trips the app's contexts make, with each one's parameter values, so tests can hold the
/// per-message number constant and tell one message's commands from the rest (background work, cache reloads).
/// </summary>
public sealed class DbCommandCounter : DbCommandInterceptor
{
    private readonly ConcurrentQueue<string> _commands = new();
    private readonly ConcurrentQueue<(string Text, string[] Values)> _withValues = new();

    public IReadOnlyList<string> Commands => [.. _commands];

    /// <summary>The commands one of whose parameters was any of <paramref name="values"/> (a user's id, a trace's id).</summary>
    public IReadOnlyList<string> CommandsNaming(params string[] values) =>
        [.. _withValues.Where(c => c.Values.Any(values.Contains)).Select(c => c.Text)];

    public void Clear()
    {
        _commands.Clear();
        _withValues.Clear();
    }

    private void Count(DbCommand command)
    {
        _commands.Enqueue(command.CommandText);
        _withValues.Enqueue((command.CommandText, [.. command.Parameters.Cast<DbParameter>().Select(p => Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "")]));
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken ct = default)
    {
        Count(command);
        return base.ReaderExecutingAsync(command, eventData, result, ct);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Count(command);
        return base.NonQueryExecutingAsync(command, eventData, result, ct);
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken ct = default)
    {
        Count(command);
        return base.ScalarExecutingAsync(command, eventData, result, ct);
    }
}
