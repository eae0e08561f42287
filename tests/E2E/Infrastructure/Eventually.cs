namespace CommandCenter.E2E.Infrastructure;

/// <summary>For the few states only asking shows (no log line or event tells): polling, with a deadline.</summary>
public static class Eventually
{
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
