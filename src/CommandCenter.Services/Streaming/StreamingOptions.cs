using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Streaming;

public sealed class StreamingOptions
{
    public const string Section = "Streaming";

    /// <summary>How long the SSE response may stay silent before a comment line keeps proxies from closing it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a reply runs with nobody watching before it is stopped; also how long a finished reply's events are
    /// kept for a client that reconnects.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan UnwatchedGrace { get; set; } = TimeSpan.FromSeconds(30);
}
