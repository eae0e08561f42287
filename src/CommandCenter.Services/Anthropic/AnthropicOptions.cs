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

    /// <summary>The web search tool's versioned type; Anthropic versions its tools by date, so a new one is configuration.</summary>
    [Required]
    public string WebSearchTool { get; set; } = "web_search_20260318";

    /// <summary>The web fetch tool's versioned type.</summary>
    [Required]
    public string WebFetchTool { get; set; } = "web_fetch_20260318";

    /// <summary>
    /// How many times one reply continues a turn Anthropic paused (<c>pause_turn</c>, after many server tool calls):
    /// each continuation is another billed call. Past the limit the reply ends with the turn paused.
    /// </summary>
    [Range(0, 20)]
    public int MaxContinuations { get; set; } = 3;

    /// <summary>An <c>anthropic-beta</c> value to send with web fetch; none today (web search and fetch need no beta header, ANTHROPIC.md §3, O13).</summary>
    public string? WebFetchBeta { get; set; }

    /// <summary>
    /// The <c>anthropic-beta</c> value of the Files API, which attachments are uploaded to once per key and then sent by
    /// <c>file_id</c> (https://platform.claude.com/docs/en/api/files-create: <c>files-api-2025-04-14</c>). Empty: every
    /// attachment is sent inline, as base64.
    /// </summary>
    public string? FilesBeta { get; set; } = "files-api-2025-04-14";
}
