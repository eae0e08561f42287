using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Streaming;

public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>On shutdown, how long live replies may run on to their end before they are ended with an error.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
