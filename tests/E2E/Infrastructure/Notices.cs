using CommandCenter.Services.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>What an instance heard from the database, waited on through its own hooks rather than its log's wording.</summary>
public static class Notices
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Completes once <paramref name="instance"/> evicts cache entry <paramref name="key"/> on a change notice. Call it before making the change.</summary>
    public static Task EvictedAsync(this CommandCenterApp instance, string key)
    {
        var cache = instance.Services.GetRequiredService<ShortCache>();
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnNotice(string evicted)
        {
            if (evicted == key)
            {
                heard.TrySetResult();
            }
        }

        cache.Noticed += OnNotice;
        return WaitAsync(heard.Task, () => cache.Noticed -= OnNotice, $"cache entry {key} to be evicted");
    }

    /// <summary>Completes once <paramref name="instance"/> has lost its listening connection and listens again. Call it before cutting the connection.</summary>
    public static Task LostAndListeningAgainAsync(this CommandCenterApp instance)
    {
        var listener = instance.Services.GetServices<IHostedService>().OfType<DatabaseListener>().Single();
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var again = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLost() => lost.TrySetResult();
        void OnAgain()
        {
            if (lost.Task.IsCompleted)
            {
                again.TrySetResult();
            }
        }

        listener.Lost += OnLost;
        listener.ListeningAgain += OnAgain;
        return WaitAsync(again.Task, () =>
        {
            listener.Lost -= OnLost;
            listener.ListeningAgain -= OnAgain;
        }, "the listening connection to be lost and found again");
    }

    private static async Task WaitAsync(Task heard, Action unsubscribe, string what)
    {
        try
        {
            await heard.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.");
        }
        finally
        {
            unsubscribe();
        }
    }
}
