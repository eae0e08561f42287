using System.Buffers.Binary;

namespace CommandCenter.Services.Files;

/// <summary>What a file's bytes say it is: its media type (never its name's), and what sizes it for the model.</summary>
/// <param name="Width">An image's width in pixels; null for a PDF.</param>
/// <param name="Pages">A PDF's pages as counted from its page objects (at least 1); null for an image.</param>
public sealed record SniffedFile(string MediaType, int? Width = null, int? Height = null, int? Pages = null)
{
    public bool IsImage => MediaType.StartsWith("image/", StringComparison.Ordinal);
}

/// <summary>
/// Reads a file's type from its magic bytes, the only types every current Claude model reads: PNG, JPEG, GIF, WebP and
/// PDF (https://platform.claude.com/docs/en/build-with-claude/vision, …/pdf-support). Anything else is refused.
/// </summary>
public static class FileSniffer
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Gif = "image/gif";
    public const string WebP = "image/webp";
    public const string Pdf = "application/pdf";

    /// <summary>The types the chat and the API take, for error messages and the file picker.</summary>
    public static readonly IReadOnlyList<string> Allowed = [Png, Jpeg, Gif, WebP, Pdf];

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <returns>Null when the bytes are none of the allowed types, or an image whose size cannot be read.</returns>
    public static SniffedFile? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(PngSignature) && bytes.Length >= 24 && bytes[12..16].SequenceEqual("IHDR"u8))
        {
            return Image(Png, BinaryPrimitives.ReadInt32BigEndian(bytes[16..]), BinaryPrimitives.ReadInt32BigEndian(bytes[20..]));
        }

        if ((bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8)) && bytes.Length >= 10)
        {
            return Image(Gif, BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]));
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return JpegSize(bytes) is var (width, height) ? Image(Jpeg, width, height) : null;
        }

        if (bytes.Length >= 30 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return WebPSize(bytes) is var (width, height) ? Image(WebP, width, height) : null;
        }

        if (bytes.StartsWith("%PDF-"u8))
        {
            return new SniffedFile(Pdf, Pages: Math.Max(1, CountPages(bytes)));
        }

        return null;
    }

    private static SniffedFile? Image(string mediaType, int width, int height) =>
        width > 0 && height > 0 ? new SniffedFile(mediaType, width, height) : null;

    // Markers up to the first frame header (SOF0–SOF15, but DHT C4, JPG C8 and DAC CC), whose height and width follow its length and precision.
    private static (int, int)? JpegSize(ReadOnlySpan<byte> bytes)
    {
        var at = 2;
        while (at + 9 < bytes.Length)
        {
            if (bytes[at] != 0xFF)
            {
                return null;
            }

            var marker = bytes[at + 1];
            if (marker == 0xFF)
            {
                at++;
                continue;
            }

            if (marker is >= 0xD0 and <= 0xD7 or 0x01)
            {
                at += 2;
                continue;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return (BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 5)..]));
            }

            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 2)..]);
        }

        return null;
    }

    // https://developers.google.com/speed/webp/docs/riff_container: lossy VP8, lossless VP8L, extended VP8X.
    private static (int, int)? WebPSize(ReadOnlySpan<byte> bytes)
    {
        var chunk = bytes[12..16];
        if (chunk.SequenceEqual("VP8 "u8))
        {
            return (BinaryPrimitives.ReadUInt16LittleEndian(bytes[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]) & 0x3FFF);
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(bytes[21..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            return (1 + (bytes[24] | bytes[25] << 8 | bytes[26] << 16), 1 + (bytes[27] | bytes[28] << 8 | bytes[29] << 16));
        }

        return null;
    }

    /// <summary>The <c>/Type /Page</c> objects (not <c>/Pages</c>); 0 when they sit in compressed object streams.</summary>
    private static int CountPages(ReadOnlySpan<byte> bytes)
    {
        var pages = 0;
        for (var at = bytes.IndexOf("/Type"u8); at >= 0;)
        {
            var rest = bytes[(at + 5)..];
            var name = rest.TrimStart(" \r\n\t"u8);
            if (name.StartsWith("/Page"u8) && (name.Length == 5 || !char.IsAsciiLetterOrDigit((char)name[5])))
            {
                pages++;
            }

            var next = rest.IndexOf("/Type"u8);
            at = next < 0 ? -1 : at + 5 + next;
        }

        return pages;
    }
}
