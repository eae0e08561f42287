using CommandCenter.Services.Data;

namespace CommandCenter.Unit.Services;

public sealed class ShortCacheTests
{
    [Fact]
    public async Task AValueLoadedWhileItsEntryWasEvictedIsReturnedButNotKept()
    {
        using var cache = new ShortCache();
        var loading = new TaskCompletionSource<string?>();

        // The load read the row before the change committed; the change's eviction arrives before the load returns.
        var stale = cache.GetOrLoadAsync("agent:a", () => loading.Task);
        cache.Evict("agent:a");
        loading.SetResult("before");

        (await stale).ShouldBe("before");
        (await cache.GetOrLoadAsync("agent:a", () => Task.FromResult<string?>("after"))).ShouldBe("after");
    }

    [Fact]
    public async Task AKeptValueIsServedUntilEvicted()
    {
        using var cache = new ShortCache();
        await cache.GetOrLoadAsync("price:m", () => Task.FromResult<string?>("one"));

        (await cache.GetOrLoadAsync("price:m", () => Task.FromResult<string?>("two"))).ShouldBe("one");
        cache.Evict("price:m");
        (await cache.GetOrLoadAsync("price:m", () => Task.FromResult<string?>("two"))).ShouldBe("two");
    }
}
