using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Web.Streaming;

internal sealed class StreamingOptions
{
    public const string Section = "Streaming";

    /// <summary>How long the SSE response may stay silent before a comment line keeps proxies from closing it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}
