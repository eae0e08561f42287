using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// Small, valid files of any size to attach in tests: one-colour images a browser can show (PNG, JPEG, GIF, WebP) whose
/// headers say the width and height asked for, and blank PDFs of any page count. Built in code, so no test needs binaries.
/// </summary>
public static class SampleFiles
{
    /// <summary>A white PNG (1-bit greyscale): a few hundred bytes at 40x30, some kilobytes at 8000x8000.</summary>
    public static byte[] TinyPng(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 1; // bit depth; colour type 0 (greyscale), compression, filter and interlace 0
        Chunk(png, "IHDR", header);

        using var pixels = new MemoryStream();
        using (var zlib = new ZLibStream(pixels, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[1 + (width + 7) / 8]; // filter byte 0, then the row's bits
            Array.Fill(row, (byte)0xFF, 1, row.Length - 1);
            for (var y = 0; y < height; y++) zlib.Write(row);
        }
        Chunk(png, "IDAT", pixels.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A mid-grey baseline JPEG (greyscale, every 8x8 block the same): about two bits a block after the headers.</summary>
    public static byte[] TinyJpeg(int width, int height)
    {
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]); // SOI
        jpeg.Write([0xFF, 0xE0, 0x00, 0x10, .. "JFIF\0"u8, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]); // APP0
        jpeg.Write([0xFF, 0xDB, 0x00, 0x43, 0x00, .. Enumerable.Repeat((byte)1, 64)]); // one quantisation table, all 1
        // SOF0: 8-bit precision, height, width, one component (id 1, no subsampling, table 0).
        jpeg.Write([0xFF, 0xC0, 0x00, 0x0B, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x01, 0x01, 0x11, 0x00]);
        // Two Huffman tables of one 1-bit code each: DC difference category 0, and AC end-of-block.
        byte[] oneCode = [0x01, .. new byte[15], 0x00];
        jpeg.Write([0xFF, 0xC4, 0x00, 0x14, 0x00, .. oneCode]);
        jpeg.Write([0xFF, 0xC4, 0x00, 0x14, 0x10, .. oneCode]);
        jpeg.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]); // SOS
        // Each block is DC "no change" then end-of-block: two 0 bits. The last byte is padded with 1 bits.
        var bits = 2L * ((width + 7) / 8) * ((height + 7) / 8);
        var scan = new byte[(bits + 7) / 8];
        if (bits % 8 != 0) scan[^1] = (byte)(0xFF >> (int)(bits % 8));
        jpeg.Write(scan);
        jpeg.Write([0xFF, 0xD9]); // EOI
        return jpeg.ToArray();
    }

    /// <summary>A black GIF89a, stored without compression (about 0.6 bytes a pixel): keep it small.</summary>
    public static byte[] TinyGif(int width, int height)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        gif.Write([(byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0x81, 0x00, 0x00]); // global table of 4 colours
        gif.Write([0, 0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0]);
        gif.Write([0x2C, 0, 0, 0, 0, (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0x00]); // image descriptor

        // LZW with 2-bit colours codes in 3 bits; a clear code after every two pixels keeps the decoder's table, and so the
        // code width, from growing.
        const int Clear = 4, End = 5;
        var codes = new List<int>();
        for (long pixel = 0; pixel < (long)width * height; pixel++)
        {
            if (pixel % 2 == 0) codes.Add(Clear);
            codes.Add(0);
        }
        codes.Add(End);
        var data = new byte[(codes.Count * 3 + 7) / 8];
        for (var i = 0; i < codes.Count; i++)
        {
            for (var bit = 0; bit < 3; bit++)
            {
                if ((codes[i] >> bit & 1) == 1) data[(i * 3 + bit) / 8] |= (byte)(1 << ((i * 3 + bit) % 8));
            }
        }

        gif.WriteByte(2); // LZW minimum code size
        foreach (var block in data.Chunk(255))
        {
            gif.WriteByte((byte)block.Length);
            gif.Write(block);
        }
        gif.Write([0x00, 0x3B]); // end of image data, trailer
        return gif.ToArray();
    }

    /// <summary>
    /// A lossless WebP of one colour (sides up to 16384): its bitstream spends no bits on pixels, so only the header's
    /// width and height change with the size.
    /// </summary>
    public static byte[] TinyWebp(int width, int height)
    {
        var size = (uint)(width - 1) | (uint)(height - 1) << 14 | 1u << 28; // alpha used, version 0
        byte[] lossless = [0x2F, (byte)size, (byte)(size >> 8), (byte)(size >> 16), (byte)(size >> 24), 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE, 0x07];
        using var webp = new MemoryStream();
        webp.Write("RIFF"u8);
        webp.Write(LittleEndian(4 + 8 + lossless.Length + 1));
        webp.Write("WEBPVP8L"u8);
        webp.Write(LittleEndian(lossless.Length));
        webp.Write(lossless);
        webp.WriteByte(0); // chunks have even sizes
        return webp.ToArray();
    }

    /// <summary>A PDF of blank pages, one <c>/Type /Page</c> object each, with a correct cross-reference table.</summary>
    public static byte[] TinyPdf(int pages = 1)
    {
        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        void Object(string body)
        {
            offsets.Add(pdf.Length);
            pdf.Append($"{offsets.Count} 0 obj\n{body}\nendobj\n");
        }

        Object("<< /Type /Catalog /Pages 2 0 R >>");
        Object($"<< /Type /Pages /Kids [{string.Join(" ", Enumerable.Range(3, pages).Select(n => $"{n} 0 R"))}] /Count {pages} >>");
        for (var page = 0; page < pages; page++) Object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>");

        var xref = pdf.Length;
        pdf.Append($"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) pdf.Append($"{offset:D10} 00000 n \n");
        pdf.Append($"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(pdf.ToString());
    }

    /// <summary>The file followed by zero bytes up to <paramref name="length"/>: readers stop at the end marker, so it stays valid but weighs more.</summary>
    public static byte[] PadTo(byte[] file, int length)
    {
        var padded = new byte[Math.Max(length, file.Length)];
        file.CopyTo(padded, 0);
        return padded;
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(length);
        png.Write(typed);
        png.Write(crc);
    }

    private static byte[] LittleEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320).
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
