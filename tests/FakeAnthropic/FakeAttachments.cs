using System.Text;
using System.Text.Json;

namespace CommandCenter.FakeAnthropic;

/// <summary>A request's image and document blocks as the fake read them, and the first one Anthropic would refuse (null when none).</summary>
internal sealed record AttachmentScan(IReadOnlyList<FakeAttachment> Attachments, (int Status, string Type, string Message)? Refusal);

/// <summary>
/// Reads the <c>image</c> and <c>document</c> blocks of <c>messages[].content</c> and refuses what Anthropic refuses, with its
/// messages where they are known (each rule names its source). The sources modelled are base64 and file (Files API); url, text
/// and content sources are accepted as they are.
/// </summary>
internal static class FakeAttachments
{
    /// <summary>The largest base64 image, measured on the base64 text (https://platform.claude.com/docs/en/build-with-claude/vision: 5 MB per image).</summary>
    public const int MaxBase64ImageBytes = 5 * 1024 * 1024;

    /// <summary>
    /// The most PDF pages in one request: 600 (100 on a 200k-context model, which the fake does not tell apart).
    /// https://platform.claude.com/docs/en/build-with-claude/pdf-support
    /// </summary>
    public const int MaxPdfPages = 600;

    // https://platform.claude.com/docs/en/build-with-claude/vision (general limits): any side over 8000 px is refused, over 2000 px
    // when the request holds more than 20 images.
    private const int MaxImageSide = 8000;
    private const int ManyImages = 20;
    private const int MaxManyImageSide = 2000;

    private static (int, string, string) Invalid(string message) => (400, "invalid_request_error", message);

    /// <summary>
    /// Every image and document block of the request in order, files looked up by <paramref name="files"/> (null: a file_id
    /// counts as not found), and the first refusal. A block that is refused is left out; reading goes on past it.
    /// </summary>
    public static AttachmentScan Read(JsonElement body, Func<string, FakeFileUpload?>? files, bool filesBeta)
    {
        var attachments = new List<FakeAttachment>();
        (int, string, string)? refusal = null;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            return new(attachments, null);

        var images = messages.EnumerateArray().Sum(m => Blocks(m).Count(b => StringAt(b, "type") == "image"));
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var j = 0;
            foreach (var block in Blocks(message))
            {
                var at = new Where(i, j++);
                var kind = StringAt(block, "type");
                if (kind is not ("image" or "document")) continue;

                // https://platform.claude.com/docs/en/build-with-claude/vision: images go in user turns. The message is the API's
                // as reported through Amazon Bedrock (github.com/epam/ai-dial-adapter-bedrock pull 306).
                if (StringAt(message, "role") == "assistant")
                {
                    refusal ??= Invalid($"messages.{i}.content: '{kind}' blocks are not permitted within assistant turns.");
                    continue;
                }

                var (attachment, refused) = ReadBlock(block, kind, at, files, filesBeta, images > ManyImages);
                if (attachment is not null) attachments.Add(attachment);
                refusal ??= refused;
            }
            i++;
        }

        // https://platform.claude.com/docs/en/build-with-claude/pdf-support: the page limit is on the whole request. The wording
        // is the one clients match ("A maximum of 100 PDF pages may be provided.").
        if (attachments.Sum(a => a.Pages ?? 0) > MaxPdfPages)
            refusal ??= Invalid($"A maximum of {MaxPdfPages} PDF pages may be provided.");
        return new(attachments, refusal);
    }

    /// <summary>
    /// The reply's text when the newest user message carries attachments (<see cref="FakeScenario.DescribeAttachments"/>), in
    /// chunks: <c>"Received 2 attachments: "</c>, <c>"image/png 1234 bytes 40x30 by file_id"</c>, <c>"; application/pdf …"</c>, <c>"."</c>.
    /// </summary>
    public static IReadOnlyList<string>? Receipt(RecordedRequest request)
    {
        var newestUser = -1;
        if (request.Json.ValueKind == JsonValueKind.Object && request.Json.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var message in messages.EnumerateArray())
            {
                if (StringAt(message, "role") == "user") newestUser = i;
                i++;
            }
        }

        var received = request.Attachments.Where(a => a.Message == newestUser).ToList();
        if (received.Count == 0) return null;
        List<string> chunks = [$"Received {received.Count} attachment{(received.Count == 1 ? "" : "s")}: "];
        chunks.AddRange(received.Select((a, n) => (n == 0 ? "" : "; ") + a.Description));
        chunks.Add(".");
        return chunks;
    }

    private readonly record struct Where(int Message, int Block)
    {
        public override string ToString() => $"messages.{Message}.content.{Block}";
    }

    private static (FakeAttachment?, (int, string, string)?) ReadBlock(
        JsonElement block, string kind, Where at, Func<string, FakeFileUpload?>? files, bool filesBeta, bool manyImages)
    {
        if (!block.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object)
            return (null, Invalid($"{at}.{kind}.source: Field required"));

        // Without the Files API beta the source union has no "file" member, so a file source fails as an unknown tag does (the
        // message the official C# SDK's users met: github.com/anthropics/anthropic-sdk-csharp issue 12).
        string[] tags = kind == "image" ? ["base64", "url"] : ["base64", "text", "content", "url"];
        if (filesBeta) tags = [.. tags, "file"];
        var sourceType = StringAt(source, "type");
        if (sourceType is null)
            return (null, Invalid($"{at}.{kind}.source: Unable to extract tag using discriminator 'type'"));
        if (!tags.Contains(sourceType))
            return (null, Invalid($"{at}.{kind}.source: Input tag '{sourceType}' found using 'type' does not match any of the expected tags: {string.Join(", ", tags.Select(t => $"'{t}'"))}"));

        var attachment = new FakeAttachment { Message = at.Message, Block = at.Block, Kind = kind, Source = sourceType };
        var path = $"{at}.{kind}.source.{sourceType}";
        switch (sourceType)
        {
            case "base64":
                // https://platform.claude.com/docs/en/build-with-claude/vision and …/pdf-support: images as jpeg, png, gif or webp;
                // a base64 document is a PDF.
                var mediaType = StringAt(source, "media_type");
                if (mediaType is null)
                    return (null, Invalid($"{path}.media_type: Field required"));
                if (kind == "image" && !FakeMedia.ImageTypes.Contains(mediaType))
                    return (null, Invalid($"{path}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"));
                if (kind == "document" && mediaType != FakeMedia.Pdf)
                    return (null, Invalid($"{path}.media_type: Input should be 'application/pdf'"));
                if (StringAt(source, "data") is not { } data)
                    return (null, Invalid($"{path}.data: Field required"));
                // The 5 MB is measured on the base64 text, as clients that hit it found (e.g. github.com/lobehub/lobehub pull 14711);
                // the message is the API's (github.com/gptme/gptme issue 185).
                if (kind == "image" && data.Length > MaxBase64ImageBytes)
                    return (null, Invalid($"{path}: image exceeds 5 MB maximum: {data.Length} bytes > {MaxBase64ImageBytes} bytes"));
                byte[] bytes;
                try
                {
                    bytes = Convert.FromBase64String(data);
                }
                catch (FormatException)
                {
                    // The API's message (github.com/anthropics/anthropic-sdk-typescript issue 603).
                    return (null, Invalid($"{path}: invalid base64 data"));
                }
                return kind == "image"
                    ? Image(attachment with { MediaType = mediaType, Bytes = bytes.Length }, bytes, path, $"{path}.data", manyImages)
                    : Pdf(attachment with { MediaType = mediaType, Bytes = bytes.Length }, bytes, $"{at}.pdf.source.base64.data");

            case "file":
                if (StringAt(source, "file_id") is not { } id)
                    return (null, Invalid($"{path}.file_id: Field required"));
                // https://platform.claude.com/docs/en/build-with-claude/files (error handling): "File not found (404)" when the
                // file_id does not exist or the key cannot see it; "Invalid file type (400)" when the file does not fit the block.
                // The messages' wording is the fake's.
                if (files?.Invoke(id) is not { } file)
                    return (null, (404, "not_found_error", $"{path}.file_id: File not found: {id}"));
                attachment = attachment with { MediaType = file.MimeType, Bytes = file.SizeBytes, FileId = id };
                var fits = kind == "image" ? FakeMedia.ImageTypes.Contains(file.MimeType) : file.MimeType is FakeMedia.Pdf or FakeMedia.PlainText;
                if (!fits)
                    return (null, Invalid($"{path}: File type '{file.MimeType}' does not match the content block type '{kind}'"));
                return file.MimeType switch
                {
                    FakeMedia.Pdf => Pdf(attachment, file.Content.Span, $"{at}.pdf.source.file"),
                    FakeMedia.PlainText => (attachment with { Tokens = FakeTokens.Words(Encoding.UTF8.GetString(file.Content.Span)) }, null),
                    _ => Image(attachment, file.Content.Span, path, path, manyImages),
                };

            case "url":
                return StringAt(source, "url") is { } url
                    ? (attachment with { Url = url }, null)
                    : (null, Invalid($"{path}.url: Field required"));

            case "text":
                if (StringAt(source, "media_type") is not FakeMedia.PlainText)
                    return (null, Invalid($"{path}.media_type: Input should be 'text/plain'"));
                return StringAt(source, "data") is { } text
                    ? (attachment with { MediaType = FakeMedia.PlainText, Bytes = Encoding.UTF8.GetByteCount(text), Tokens = FakeTokens.Words(text) }, null)
                    : (null, Invalid($"{path}.data: Field required"));

            default: // content: text blocks of the document's own
                return source.TryGetProperty("content", out var content) && content.ValueKind is JsonValueKind.String or JsonValueKind.Array
                    ? (attachment with { Tokens = FakeTokens.Words(FakeTokens.TextOf(content)) }, null)
                    : (null, Invalid($"{path}.content: Field required"));
        }
    }

    /// <param name="path">Where the source is, e.g. <c>messages.0.content.1.image.source.base64</c>.</param>
    /// <param name="dataPath">Where its bytes are: the base64 source's <c>data</c>, the file source itself.</param>
    private static (FakeAttachment?, (int, string, string)?) Image(
        FakeAttachment attachment, ReadOnlySpan<byte> bytes, string path, string dataPath, bool manyImages)
    {
        var declared = attachment.MediaType!;
        var actual = FakeMedia.Sniff(bytes);
        if (actual != declared)
        {
            // Anthropic's wording changed in 2026: the bytes of another image type are named (github.com/home-assistant/core issue
            // 167208, github.com/vybestack/llxprt-code issue 2130); bytes of no image type get the older message
            // (github.com/anthropics/claude-code issue 12064).
            return (null, Invalid(actual is not null && FakeMedia.ImageTypes.Contains(actual)
                ? $"{path}: The image was specified using the {declared} media type, but the image appears to be a {actual} image"
                : $"{dataPath}: Image does not match the provided media type {declared}"));
        }

        if (FakeMedia.Dimensions(bytes, declared) is not var (width, height))
            return (null, Invalid($"{dataPath}: Could not process image"));
        // The messages are the API's (github.com/anthropics/claude-code issues 4778 and 24630).
        if (width > MaxImageSide || height > MaxImageSide)
            return (null, Invalid($"{dataPath}: At least one of the image dimensions exceed max allowed size: {MaxImageSide} pixels"));
        if (manyImages && (width > MaxManyImageSide || height > MaxManyImageSide))
            return (null, Invalid($"{dataPath}: At least one of the image dimensions exceed max allowed size for many-image requests: {MaxManyImageSide} pixels"));
        return (attachment with { Width = width, Height = height, Tokens = FakeTokens.ImageTokens(width, height) }, null);
    }

    private static (FakeAttachment?, (int, string, string)?) Pdf(FakeAttachment attachment, ReadOnlySpan<byte> bytes, string path)
    {
        // The API names a PDF's path "pdf" and says so when the bytes are no PDF (github.com/anthropics/claude-code issue 5174).
        if (FakeMedia.Sniff(bytes) != FakeMedia.Pdf)
            return (null, Invalid($"{path}: The PDF specified was not valid."));
        var pages = FakeMedia.PdfPages(bytes);
        return (attachment with { Pages = pages, Tokens = FakeTokens.PdfTokens(pages) }, null);
    }

    private static IEnumerable<JsonElement> Blocks(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
            ? content.EnumerateArray()
            : [];

    private static string? StringAt(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
