namespace CommandCenter.Services.Files;

/// <summary>
/// What an attachment is expected to cost in prompt tokens, before Anthropic counts it: what history trimming weighs it
/// at. Near the context window the prompt is counted exactly (<c>count_tokens</c>) instead.
/// </summary>
public static class FileTokens
{
    // https://platform.claude.com/docs/en/build-with-claude/vision ("Evaluate image size"): an image costs about
    // width × height / 750 tokens, after it is scaled down to at most 1,568 px on its long edge and about 1,600 tokens.
    private const double PixelsPerToken = 750;
    private const double MaxLongEdge = 1_568;
    private const int MaxImageTokens = 1_600;
    private const double MaxPixels = MaxImageTokens * PixelsPerToken;

    // https://platform.claude.com/docs/en/build-with-claude/pdf-support ("Estimate your costs"): 1,500–3,000 text tokens
    // a page, and each page is also read as an image. The high end, so that a PDF is not under-counted far from the window.
    public const int PdfTokensPerPage = 3_000;

    public static int Estimate(SniffedFile file)
    {
        if (file is { Width: { } width, Height: { } height })
        {
            var scale = Math.Min(1, Math.Min(MaxLongEdge / Math.Max(width, height), Math.Sqrt(MaxPixels / ((double)width * height))));
            return Math.Min(MaxImageTokens, (int)Math.Ceiling(width * scale * (height * scale) / PixelsPerToken));
        }

        return (file.Pages ?? 1) * PdfTokensPerPage;
    }
}
