using Microsoft.Extensions.Caching.Memory;

namespace CommandCenter.Services.Data;

/// <summary>
/// What nearly every message reads and hardly ever changes (agents, prices, validated sign-ins), kept a few seconds.
/// A change on this instance removes its entry at once; another instance sees it when the entry expires.
/// </summary>
public sealed class ShortCache(IMemoryCache cache)
{
    /// <summary>How long another instance may go on using what changed here.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    public async Task<T?> GetOrLoadAsync<T>(string key, Func<Task<T?>> load) where T : class
    {
        if (cache.TryGetValue(key, out T? cached))
        {
            return cached;
        }

        var loaded = await load();
        if (loaded is not null)
        {
            cache.Set(key, loaded, Lifetime);
        }

        return loaded;
    }

    public bool TryGet<T>(string key, out T? value) => cache.TryGetValue(key, out value);

    public void Set<T>(string key, T value) => cache.Set(key, value, Lifetime);

    public void Remove(string key) => cache.Remove(key);

    public static string Agent(string id) => $"agent:{id}";

    public static string Price(string model) => $"price:{model}";

    public static string SignIn(string userId) => $"sign-in:{userId}";
}
