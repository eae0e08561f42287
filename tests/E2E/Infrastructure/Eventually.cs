namespace CommandCenter.E2E.Infrastructure;

/// <summary>Waits for a condition the app reaches asynchronously (after a client left, say), polling with a deadline.</summary>
public static class Eventually
{
    public static async Task<Dictionary<string, object?>> SingleAsync(TestDatabase database, string sql, params object[] parameters)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var rows = await database.QueryAsync(sql, parameters);
            if (rows.Count == 1)
            {
                return rows[0];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No single row for: {sql}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Reads <paramref name="read"/> until <paramref name="done"/> accepts the value, for a state only asking shows (no event tells).</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
