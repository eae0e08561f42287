namespace CommandCenter.FakeAnthropic;

/// <summary>An image or document block of a request, as the fake read it: where it sat, how it came, and what its bytes are.</summary>
public sealed record FakeAttachment
{
    /// <summary>The index of its message in <c>messages</c>.</summary>
    public required int Message { get; init; }

    /// <summary>The index of the block in that message's <c>content</c>.</summary>
    public required int Block { get; init; }

    /// <summary>The block's type: <c>image</c> or <c>document</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The source's type: <c>base64</c>, <c>file</c>, <c>url</c>, <c>text</c> or <c>content</c>.</summary>
    public required string Source { get; init; }

    /// <summary>The media type: the declared one (base64), the uploaded file's (file), <c>text/plain</c> (text); null for url and content.</summary>
    public string? MediaType { get; init; }

    /// <summary>The decoded bytes (base64), the uploaded file's size (file), the UTF-8 bytes (text); 0 otherwise.</summary>
    public long Bytes { get; init; }

    /// <summary>An image's size from its header.</summary>
    public int? Width { get; init; }

    public int? Height { get; init; }

    /// <summary>A PDF's pages (its <c>/Type /Page</c> objects).</summary>
    public int? Pages { get; init; }

    public string? FileId { get; init; }

    public string? Url { get; init; }

    /// <summary>What it counts by <see cref="FakeTokens"/>.</summary>
    public int Tokens { get; init; }

    /// <summary>
    /// One item of the reply's receipt (<see cref="FakeScenario.DescribeAttachments"/>): <c>image/png 1234 bytes 40x30 by file_id</c>,
    /// <c>application/pdf 5678 bytes 2 pages inline</c>, <c>text/plain 12 bytes by file_id</c>, <c>image by url https://…</c>,
    /// <c>document content inline</c>.
    /// </summary>
    public string Description
    {
        get
        {
            var via = Source switch { "file" => "by file_id", "url" => "by url", _ => "inline" };
            return (Source, MediaType) switch
            {
                ("url", _) => $"{Kind} {via} {Url}",
                ("content", _) => $"{Kind} content {via}",
                (_, FakeMedia.Pdf) => $"{MediaType} {Bytes} bytes {Pages} page{(Pages == 1 ? "" : "s")} {via}",
                _ when Width is { } width => $"{MediaType} {Bytes} bytes {width}x{Height} {via}",
                _ => $"{MediaType} {Bytes} bytes {via}",
            };
        }
    }
}
