using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Files;

/// <summary>Limits on attachments (<c>Files__MaxBytes</c>, <c>Files__MaxPerMessage</c>).</summary>
public sealed class FilesOptions
{
    public const string Section = "Files";

    /// <summary>The most one file may hold.</summary>
    [Range(1, 512L * 1024 * 1024)]
    public long MaxBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>The most files one message may carry.</summary>
    [Range(1, 100)]
    public int MaxPerMessage { get; set; } = 10;

    /// <summary>
    /// Anthropic reads images up to 5 MB and 8,000 px a side; a bigger one would fail the whole message
    /// (https://platform.claude.com/docs/en/build-with-claude/vision, "Image size limits").
    /// </summary>
    public const long MaxImageBytes = 5L * 1024 * 1024;

    public const int MaxImageSide = 8_000;

    public const int MaxNameLength = 255;
}
