using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Streaming;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Messages one user may start per minute, from the page or the API; each is a paid upstream call.</summary>
    [Range(1, 100_000)]
    public int MessagesPerMinute { get; set; } = 60;

    /// <summary>Replies one user may have being written at once.</summary>
    [Range(1, 10_000)]
    public int ConcurrentRepliesPerUser { get; set; } = 8;

    /// <summary>Sign-in attempts per client address and minute, over the API and the sign-in page.</summary>
    [Range(1, 100_000)]
    public int SignInsPerMinute { get; set; } = 10;
}
