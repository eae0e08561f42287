using System.Threading.RateLimiting;
using CommandCenter.Services.IntegrationKeys;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// The message rate, for every way a message starts (the built-in rate limiter): per user, or per integration key when
/// a message comes with one (each key has its own allowance, its own limit or the per-user default).
/// </summary>
public sealed class ReplyLimits(IOptions<RateLimitOptions> options) : IDisposable
{
    // A sliding window: a message counts for a full minute whenever it was sent, so a burst cannot straddle a reset.
    // Partitioned by who and how many: a key whose limit changes starts a fresh allowance.
    private readonly PartitionedRateLimiter<(string Who, int Limit)> _perMinute = PartitionedRateLimiter.Create<(string Who, int Limit), (string, int)>(partition =>
        RateLimitPartition.GetSlidingWindowLimiter(partition, p => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = p.Item2,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }));

    public int MaxLiveRepliesPerUser => options.Value.ConcurrentRepliesPerUser;

    /// <summary>Takes one message from the user's allowance for this minute, or the key's when it came with one.</summary>
    /// <exception cref="StreamStartException">None is left.</exception>
    internal void TakeMessage(string userId, IntegrationKeyIdentity? viaKey = null)
    {
        var partition = viaKey is null
            ? (userId, options.Value.MessagesPerMinute)
            : ("key:" + viaKey.Id, viaKey.MessagesPerMinute ?? options.Value.MessagesPerMinute);
        using var lease = _perMinute.AttemptAcquire(partition);
        if (!lease.IsAcquired)
        {
            throw new StreamStartException(StreamStartFailure.RateLimited, "Too many messages; wait a moment and try again.")
            {
                RetryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1),
            };
        }
    }

    public void Dispose() => _perMinute.Dispose();
}
