using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// What the fake reads from an attachment's bytes: its real type by magic bytes, an image's size from its header, a PDF's
/// page count. Enough to refuse what Anthropic refuses and to count tokens; nothing is decoded.
/// </summary>
internal static partial class FakeMedia
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Gif = "image/gif";
    public const string Webp = "image/webp";
    public const string Pdf = "application/pdf";
    public const string PlainText = "text/plain";

    /// <summary>The image types Anthropic accepts, in the order its error message lists them (https://platform.claude.com/docs/en/build-with-claude/vision).</summary>
    public static readonly string[] ImageTypes = [Jpeg, Png, Gif, Webp];

    /// <summary>The type the bytes are, by their magic bytes; null when they are none of the types Anthropic reads.</summary>
    public static string? Sniff(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? Png
        : bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? Jpeg
        : bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8) ? Gif
        : bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8) ? Webp
        : bytes.StartsWith("%PDF-"u8) ? Pdf
        : null;

    /// <summary>An image's width and height from its header (PNG IHDR, GIF logical screen, JPEG SOFn, WebP VP8/VP8L/VP8X); null when unreadable.</summary>
    public static (int Width, int Height)? Dimensions(ReadOnlySpan<byte> bytes, string type)
    {
        (int, int)? size = type switch
        {
            // PNG: the signature, then the IHDR chunk (length, "IHDR", width and height big-endian).
            Png when bytes.Length >= 24 && bytes[12..16].SequenceEqual("IHDR"u8) =>
                ((int)BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]), (int)BinaryPrimitives.ReadUInt32BigEndian(bytes[20..])),
            // GIF: the logical screen's width and height, little-endian, after the six-byte signature.
            Gif when bytes.Length >= 10 => (BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..])),
            Jpeg => JpegDimensions(bytes),
            Webp => WebpDimensions(bytes),
            _ => null,
        };
        return size is ( > 0, > 0) ? size : null;
    }

    // Markers from SOI on: each is FF xx, most followed by a big-endian length; a start-of-frame (C0–CF but C4 DHT, C8 JPG,
    // CC DAC) holds precision, height and width.
    private static (int, int)? JpegDimensions(ReadOnlySpan<byte> bytes)
    {
        var at = 2;
        while (at + 3 < bytes.Length)
        {
            if (bytes[at] != 0xFF) return null;
            var marker = bytes[at + 1];
            if (marker == 0xFF) { at++; continue; } // fill byte
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { at += 2; continue; } // standalone markers
            var length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                return at + 9 <= bytes.Length ? (BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 5)..])) : null;
            if (marker == 0xDA) return null; // scan data before any frame header
            at += 2 + length;
        }
        return null;
    }

    // RIFF, size, WEBP, then the first chunk: VP8 (lossy: 14-bit sizes after the 3-byte frame tag and start code 9D 01 2A),
    // VP8L (lossless: signature 2F, then width-1 and height-1 in 14 bits each) or VP8X (extended: 24-bit canvas width-1, height-1).
    private static (int, int)? WebpDimensions(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 30) return null;
        var chunk = bytes[12..16];
        if (chunk.SequenceEqual("VP8 "u8) && bytes[23] == 0x9D && bytes[24] == 0x01 && bytes[25] == 0x2A)
            return (BinaryPrimitives.ReadUInt16LittleEndian(bytes[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]) & 0x3FFF);
        if (chunk.SequenceEqual("VP8L"u8) && bytes[20] == 0x2F)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(bytes[21..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        if (chunk.SequenceEqual("VP8X"u8))
            return ((bytes[24] | bytes[25] << 8 | bytes[26] << 16) + 1, (bytes[27] | bytes[28] << 8 | bytes[29] << 16) + 1);
        return null;
    }

    /// <summary>
    /// A PDF's pages: its <c>/Type /Page</c> objects (not the <c>/Pages</c> tree nodes). Pages kept in compressed object streams
    /// are not seen, so a PDF that shows none counts as one page.
    /// </summary>
    public static int PdfPages(ReadOnlySpan<byte> bytes) => Math.Max(1, PageObject().Count(Encoding.Latin1.GetString(bytes)));

    [GeneratedRegex(@"/Type\s*/Page(?![A-Za-z0-9])")]
    private static partial Regex PageObject();
}
