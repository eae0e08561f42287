using System.Buffers.Binary;
using System.Text;
using CommandCenter.Services.Files;

namespace CommandCenter.Unit.Services;

public sealed class FileSnifferTests
{
    [Fact]
    public void PngIsKnownByItsSignatureAndSizedByItsHeader()
    {
        FileSniffer.Sniff(Png(640, 480)).ShouldBe(new SniffedFile(FileSniffer.Png, 640, 480));
    }

    [Fact]
    public void GifIsSizedByItsLogicalScreen()
    {
        var gif = Encoding.ASCII.GetBytes("GIF89a").Concat(new byte[] { 40, 0, 30, 0, 0, 0, 0 }).ToArray();

        FileSniffer.Sniff(gif).ShouldBe(new SniffedFile(FileSniffer.Gif, 40, 30));
    }

    [Fact]
    public void JpegIsSizedByItsFirstFrameHeaderPastOtherSegments()
    {
        byte[] jpeg =
        [
            0xFF, 0xD8, // SOI
            0xFF, 0xE0, 0x00, 0x10, .. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0, // APP0, 16 bytes with its length
            0xFF, 0xC4, 0x00, 0x04, 0x00, 0x00, // DHT: a C-marker that is no frame header
            0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03, // SOF0: 8 bits, height 480, width 640
            0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];

        FileSniffer.Sniff(jpeg).ShouldBe(new SniffedFile(FileSniffer.Jpeg, 640, 480));
    }

    [Fact]
    public void WebPIsSizedFromEachOfItsThreeEncodings()
    {
        var lossy = WebP("VP8 ", chunk => { chunk[14..17].Fill(0); BinaryPrimitives.WriteUInt16LittleEndian(chunk[14..], 300); BinaryPrimitives.WriteUInt16LittleEndian(chunk[16..], 200); });
        var lossless = WebP("VP8L", chunk => BinaryPrimitives.WriteUInt32LittleEndian(chunk[9..], (300 - 1) | (uint)(200 - 1) << 14));
        var extended = WebP("VP8X", chunk => { chunk[12] = (300 - 1) & 0xFF; chunk[13] = (300 - 1) >> 8; chunk[15] = 200 - 1; });

        FileSniffer.Sniff(lossy).ShouldBe(new SniffedFile(FileSniffer.WebP, 300, 200));
        FileSniffer.Sniff(lossless).ShouldBe(new SniffedFile(FileSniffer.WebP, 300, 200));
        FileSniffer.Sniff(extended).ShouldBe(new SniffedFile(FileSniffer.WebP, 300, 200));
    }

    [Fact]
    public void PdfPagesAreItsPageObjectsNotItsPageTree()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.7\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >> endobj\n2 0 obj << /Type /Page >> endobj\n3 0 obj <</Type/Page/Parent 1 0 R>> endobj\n%%EOF");

        FileSniffer.Sniff(pdf).ShouldBe(new SniffedFile(FileSniffer.Pdf, Pages: 2));
    }

    [Fact]
    public void PdfWhosePagesCannotBeSeenCountsAsOnePage()
    {
        FileSniffer.Sniff("%PDF-1.5\n(compressed object streams)"u8.ToArray())!.Pages.ShouldBe(1);
    }

    [Theory]
    [InlineData("plain text that says it is a PNG")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")]
    [InlineData("PK\u0003\u0004 a zip")]
    [InlineData("")]
    public void AnythingElseIsRefusedWhateverItsName(string content)
    {
        FileSniffer.Sniff(Encoding.UTF8.GetBytes(content)).ShouldBeNull();
    }

    [Fact]
    public void AnImageWhoseSizeCannotBeReadIsRefused()
    {
        FileSniffer.Sniff(Png(0, 480)).ShouldBeNull();
        FileSniffer.Sniff(Png(640, 480)[..20]).ShouldBeNull();
        FileSniffer.Sniff([0xFF, 0xD8, 0xFF, 0xD9]).ShouldBeNull();
    }

    // Anthropic's examples (vision guide, "Evaluate image size"): 200×200 ≈ 54 tokens, 1000×1000 ≈ 1,334, 1092×1092 ≈ 1,590.
    [Theory]
    [InlineData(200, 200, 54)]
    [InlineData(1000, 1000, 1334)]
    [InlineData(1092, 1092, 1590)]
    public void AnImageCostsItsPixelsOver750(int width, int height, int tokens)
    {
        FileTokens.Estimate(new SniffedFile(FileSniffer.Png, width, height)).ShouldBe(tokens);
    }

    [Theory]
    [InlineData(4000, 3000)]
    [InlineData(8000, 100)]
    public void ALargeImageIsCountedAsAnthropicScalesItDown(int width, int height)
    {
        var tokens = FileTokens.Estimate(new SniffedFile(FileSniffer.Png, width, height));

        tokens.ShouldBeLessThanOrEqualTo(1_600);
        tokens.ShouldBeLessThan(width * height / 750);
    }

    [Fact]
    public void APdfCostsAFixedAmountAPage()
    {
        FileTokens.Estimate(new SniffedFile(FileSniffer.Pdf, Pages: 3)).ShouldBe(3 * FileTokens.PdfTokensPerPage);
    }

    internal static byte[] Png(int width, int height)
    {
        var png = new byte[33];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 }.CopyTo(png, 0);
        "IHDR"u8.CopyTo(png.AsSpan(12));
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        return png;
    }

    private delegate void ChunkWriter(Span<byte> chunk);

    private static byte[] WebP(string encoding, ChunkWriter write)
    {
        var webp = new byte[40];
        "RIFF"u8.CopyTo(webp);
        "WEBP"u8.CopyTo(webp.AsSpan(8));
        Encoding.ASCII.GetBytes(encoding).CopyTo(webp, 12);
        write(webp.AsSpan(12));
        return webp;
    }
}
