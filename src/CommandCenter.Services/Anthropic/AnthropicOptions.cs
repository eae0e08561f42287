using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Anthropic;

public sealed class AnthropicOptions
{
    public const string Section = "Anthropic";

    [Required]
    public Uri BaseUrl { get; set; } = new("https://api.anthropic.com");

    /// <summary>The documented Messages API version header.</summary>
    [Required]
    public string Version { get; set; } = "2023-06-01";

    /// <summary>How long to wait for the response headers of a call; the stream itself may run longer.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ResponseHeadersTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>A reply whose stream sends nothing for this long (no event, not even a <c>ping</c>) fails: "Anthropic stopped responding".</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(90);
}
