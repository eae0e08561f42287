using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Streaming;

/// <summary>The per-user message rate, for every way a message starts (the built-in rate limiter, partitioned by user).</summary>
public sealed class ReplyLimits(IOptions<RateLimitOptions> options) : IDisposable
{
    // A sliding window: a message counts for a full minute whenever it was sent, so a burst cannot straddle a reset.
    private readonly PartitionedRateLimiter<string> _perMinute = PartitionedRateLimiter.Create<string, string>(userId =>
        RateLimitPartition.GetSlidingWindowLimiter(userId, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = options.Value.MessagesPerMinute,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }));

    public int MaxLiveRepliesPerUser => options.Value.ConcurrentRepliesPerUser;

    /// <summary>Takes one message from the user's allowance for this minute.</summary>
    /// <exception cref="StreamStartException">None is left.</exception>
    internal void TakeMessage(string userId)
    {
        using var lease = _perMinute.AttemptAcquire(userId);
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
