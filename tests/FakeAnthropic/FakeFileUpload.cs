namespace CommandCenter.FakeAnthropic;

/// <summary>A file the fake's Files API accepted (<c>POST /v1/files</c>), kept for the API key that uploaded it.</summary>
public sealed record FakeFileUpload
{
    /// <summary>The key that uploaded it: only requests with this key can use, read or delete it.</summary>
    public required string ApiKey { get; init; }

    /// <summary>The <c>file_…</c> id the upload answered with.</summary>
    public required string Id { get; init; }

    public required string Filename { get; init; }

    /// <summary>The multipart part's <c>Content-Type</c>, or the type sniffed from the bytes (or the name) when the part has none.</summary>
    public required string MimeType { get; init; }

    public required ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>The SHA-256 of <see cref="Content"/>, lower-case hex.</summary>
    public required string Sha256 { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public long SizeBytes => Content.Length;
}
