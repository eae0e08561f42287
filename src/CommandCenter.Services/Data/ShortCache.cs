using Microsoft.Extensions.Caching.Memory;

namespace CommandCenter.Services.Data;

/// <summary>
/// What nearly every message reads and hardly ever changes (agents, prices, sign-ins), kept a few seconds. A change
/// drops its entry on every instance at once: this one evicts it itself, the others hear of it from the database
/// (<see cref="CacheChangeListener"/>). <see cref="Lifetime"/> only bounds what an instance that could not hear goes on using.
/// </summary>
public sealed class ShortCache : IDisposable
{
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

    // The database's change notices name entries the same way (migration CacheChangeNotices).
    public static string Agent(string id) => $"agent:{id}";

    public static string Price(string model) => $"price:{model}";

    public static string SignIn(string userId) => $"sign-in:{userId}";

    /// <summary>Every budget of one scope (user, agent, API key).</summary>
    public static string Budgets(string scope) => $"budget:{scope}";

    /// <summary>An integration key, by the hash of the key.</summary>
    public static string IntegrationKey(string hash) => $"integration-key:{hash}";
}
