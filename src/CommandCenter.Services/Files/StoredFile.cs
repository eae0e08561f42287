namespace CommandCenter.Services.Files;

/// <summary>A file an operator attached (table <c>files</c>): its bytes, stored once per owner and content.</summary>
public sealed class StoredFile
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string Name { get; init; }
    /// <summary>As sniffed from the bytes, never taken from the name or the upload's header.</summary>
    public required string MediaType { get; init; }
    public long Bytes { get; init; }
    /// <summary>Lower-case hex; with the owner, what makes a second upload of the same bytes the same file.</summary>
    public required string Sha256 { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }
    public int? Pages { get; init; }
    /// <summary>What the model is expected to read it as, in tokens: what history trimming counts it at.</summary>
    public int Tokens { get; init; }
    public required byte[] Content { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A file's copy in Anthropic's Files API under one user key (table <c>anthropic_files</c>): later turns send its
/// <c>file_id</c> rather than the bytes. A key is known by when it was set, so a changed key uploads again.
/// </summary>
public sealed class AnthropicFileCopy
{
    public required string FileId { get; init; }
    public DateTimeOffset KeyVersion { get; init; }
    public required string AnthropicFileId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What the API and the pages say of a file: <c>{id, name, mediaType, bytes, sha256}</c>.</summary>
public sealed record FileSummary(string Id, string Name, string MediaType, long Bytes, string Sha256);

/// <summary>
/// A file as a message holds it (in the message's <c>attachments</c>): enough to show it and to count it without its
/// bytes, so that it still reads after the file is deleted ("file removed").
/// </summary>
public sealed record Attachment(string Id, string Name, string MediaType, long Bytes, int Tokens)
{
    public bool IsImage => MediaType.StartsWith("image/", StringComparison.Ordinal);
}

/// <summary>An attachment as the trace records it: what was sent and how (<see cref="AttachmentTransport"/>).</summary>
public sealed record TracedAttachment(string Id, string Name, string MediaType, long Bytes, string SentAs);

public static class AttachmentTransport
{
    /// <summary>By reference to the copy in Anthropic's Files API.</summary>
    public const string FileId = "file_id";
    /// <summary>As base64 in the request: the Files API is off, or refused the upload.</summary>
    public const string Inline = "inline";
    /// <summary>Not sent: the file was deleted; the model gets a note in its place.</summary>
    public const string Removed = "removed";
}
