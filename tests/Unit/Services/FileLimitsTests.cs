using CommandCenter.FakeAnthropic;
using CommandCenter.Services.Files;
using CommandCenter.Services.Validation;

namespace CommandCenter.Unit.Services;

public sealed class FileLimitsTests
{
    private static readonly FilesOptions Limits = new() { MaxBytes = 10_000 };

    private static string Refusal(string? name, byte[] bytes, FilesOptions? limits = null) =>
        Should.Throw<InvalidInputException>(() => FileStore.Check(name, bytes, limits ?? Limits)).Errors["file"].ShouldHaveSingleItem();

    [Fact]
    public void AFileWithinTheLimitsIsTakenUnderItsOwnName()
    {
        var (name, file) = FileStore.Check(@"C:\fakepath\shot.png", SampleFiles.TinyPng(40, 30), Limits);

        name.ShouldBe("shot.png");
        file.ShouldBe(new SniffedFile(FileSniffer.Png, 40, 30));
    }

    [Fact]
    public void AFileOneByteOverTheLimitIsRefusedNamingIt()
    {
        FileStore.Check("manual.pdf", SampleFiles.PadTo(SampleFiles.TinyPdf(), 10_000), Limits).File.MediaType.ShouldBe(FileSniffer.Pdf);
        Refusal("manual.pdf", SampleFiles.PadTo(SampleFiles.TinyPdf(), 10_001)).ShouldBe("manual.pdf is larger than 9.8 KB, the most a file may be.");
    }

    [Fact]
    public void AnImageOverAnthropicsOwnLimitsIsRefusedWhateverTheFileLimit()
    {
        var roomy = new FilesOptions { MaxBytes = 20L * 1024 * 1024 };

        Refusal("big.png", SampleFiles.PadTo(SampleFiles.TinyPng(40, 30), (int)FilesOptions.MaxImageBytes + 1), roomy).ShouldBe("big.png is 5 MB; Claude reads images up to 5 MB.");
        Refusal("wide.gif", SampleFiles.TinyGif(8_001, 1), roomy).ShouldBe("wide.gif is 8001×1 px; Claude reads images up to 8,000 px a side.");
        FileStore.Check("long.pdf", SampleFiles.PadTo(SampleFiles.TinyPdf(), (int)FilesOptions.MaxImageBytes + 1), roomy).File.MediaType.ShouldBe(FileSniffer.Pdf);
    }

    [Theory]
    [InlineData(null, "The file needs a name.")]
    [InlineData("  ", "The file needs a name.")]
    [InlineData("a\0b.png", "A file name cannot contain a NUL character.")]
    public void ANameMustBeThereAndStorable(string? name, string refusal)
    {
        Refusal(name, SampleFiles.TinyPng(1, 1)).ShouldBe(refusal);
    }

    [Fact]
    public void ANameOver255CharactersIsRefused()
    {
        Refusal(new string('n', 252) + ".png", SampleFiles.TinyPng(1, 1)).ShouldBe("A file name is at most 255 characters long.");
    }

    [Fact]
    public void EmptyAndUnknownContentIsRefused()
    {
        Refusal("empty.pdf", []).ShouldBe("empty.pdf is empty.");
        Refusal("notes.png", "just text"u8.ToArray()).ShouldBe("notes.png is not a PNG, JPEG, GIF, WebP or PDF file (judged by its content, not its name).");
    }
}
