using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CommandCenter.Services.Data;

/// <summary>
/// What nearly every message reads and hardly ever changes (agents, prices, sign-ins), kept a few seconds. A change
/// drops its entry on every instance at once: this one evicts it itself, the others hear of it from the database
/// (<see cref="DatabaseListener"/>): triggers on agents, model_prices and AspNetUsers send a NOTIFY in the same transaction
/// as each change, so an edit made by another instance, or by hand in psql, is announced too. <see cref="Lifetime"/> only
/// bounds what an instance that could not hear goes on using.
/// </summary>
public sealed partial class ShortCache(ILogger<ShortCache> logger) : IDisposable, IDatabaseNotifications
{
    public ShortCache()
        : this(NullLogger<ShortCache>.Instance)
    {
    }

    string IDatabaseNotifications.Channel => "cache_changes";

    void IDatabaseNotifications.OnNotification(string payload)
    {
        Evict(payload);
        LogEvicted(logger, payload);
        Noticed?.Invoke(payload);
    }

    /// <summary>An entry was evicted because another instance (or anyone, in the database) changed it: tests wait on this, not on a log line.</summary>
    internal event Action<string>? Noticed;

    void IDatabaseNotifications.OnMissed()
    {
        Clear();
        LogCleared(logger);
    }

    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    // Bumped by every eviction: a value loaded while something changed may be the old one, so it is not kept.
    private long _changes;

    public async Task<T?> GetOrLoadAsync<T>(string key, Func<Task<T?>> load) where T : class
    {
        if (_cache.TryGetValue(key, out T? cached))
        {
            return cached;
        }

        var changes = Interlocked.Read(ref _changes);
        var loaded = await load();
        if (loaded is not null && Interlocked.Read(ref _changes) == changes)
        {
            _cache.Set(key, loaded, Lifetime);
        }

        return loaded;
    }

    public void Evict(string key)
    {
        Interlocked.Increment(ref _changes);
        _cache.Remove(key);
    }

    /// <summary>After a time in which changes could have gone unheard.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _changes);
        _cache.Clear();
    }

    public void Dispose() => _cache.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cache entry {Key} evicted: changed in the database")]
    private static partial void LogEvicted(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache cleared: changes made while nobody listened may have been missed")]
    private static partial void LogCleared(ILogger logger);

    // The database's change notices name entries the same way (migration CacheChangeNotices).
    public static string Agent(string id) => $"agent:{id}";

    public static string Price(string model) => $"price:{model}";

    /// <summary>A model of the catalogue, by the name asked for (its id or an alias).</summary>
    public static string Model(string name) => $"model:{name}";

    public static string SignIn(string userId) => $"sign-in:{userId}";

    /// <summary>Every budget of one scope (user, agent, API key).</summary>
    public static string Budgets(string scope) => $"budget:{scope}";

    /// <summary>An integration key, by the hash of the key.</summary>
    public static string IntegrationKey(string hash) => $"integration-key:{hash}";
}
