using System.Text;
using System.Text.Json;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// The fake's tokenizer: one token per whitespace-separated word of the system prompt and of every message's text, plus
/// each image and PDF by <see cref="ImageTokens"/> and <see cref="PdfTokens"/> (a plain-text document by its words).
/// Its <c>message_start</c> input (when the scenario scripts none) and its <c>count_tokens</c> answers agree, so a
/// client that takes a prompt's reported input off a count of prompt + partial reply gets the reply's words.
/// </summary>
public static class FakeTokens
{
    /// <summary>The longest edge Anthropic reads an image at; a longer one is first scaled down to it, keeping the aspect ratio.</summary>
    public const int MaxImageEdge = 1568;

    /// <summary>The most tokens one image costs: a bigger one is scaled down until it fits ("~1,600 tokens" in the vision docs).</summary>
    public const int MaxImageTokens = 1600;

    /// <summary>
    /// What one PDF page costs here. Anthropic counts each page's extracted text (1,500–3,000 tokens a page, by its PDF docs)
    /// plus the page as an image; the fake uses the low end of the text, 1,500, plus a page image at <see cref="MaxImageTokens"/>.
    /// https://platform.claude.com/docs/en/build-with-claude/pdf-support
    /// </summary>
    public const int PdfPageTokens = 1500 + MaxImageTokens;

    /// <summary>The prompt's tokens; images and PDFs sent by <c>file_id</c> count nothing here (see <see cref="Count(RecordedRequest)"/>).</summary>
    public static int Count(JsonElement request) =>
        WordsOf(request) + FakeAttachments.Read(request, files: null, filesBeta: true).Attachments.Sum(a => a.Tokens);

    /// <summary>The prompt's tokens, files sent by <c>file_id</c> included (looked up among the key's uploads): what the fake reports.</summary>
    public static int Count(RecordedRequest request) => WordsOf(request.Json) + request.Attachments.Sum(a => a.Tokens);

    /// <summary>
    /// Anthropic's estimate for an image, tokens = width × height / 750, rounded up (its table: 200×200 px ≈ 54, 1000×1000 ≈ 1334),
    /// after the scaling it documents: a long edge over <see cref="MaxImageEdge"/> px, or more than <see cref="MaxImageTokens"/>,
    /// is first scaled down, keeping the aspect ratio (sides rounded down). 40×30 px is 2 tokens.
    /// https://platform.claude.com/docs/en/build-with-claude/vision
    /// </summary>
    public static int ImageTokens(int width, int height)
    {
        double w = width, h = height;
        var scale = Math.Min(1, (double)MaxImageEdge / Math.Max(w, h));
        scale = Math.Min(scale, Math.Sqrt(MaxImageTokens * 750d / (w * h)));
        var scaledWidth = Math.Max(1, (long)Math.Floor(w * scale));
        var scaledHeight = Math.Max(1, (long)Math.Floor(h * scale));
        return (int)((scaledWidth * scaledHeight + 749) / 750);
    }

    /// <summary>A PDF's tokens: <see cref="PdfPageTokens"/> a page.</summary>
    public static int PdfTokens(int pages) => pages * PdfPageTokens;

    public static int Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>The text of a system prompt, a message or its content: a string, or text blocks.</summary>
    public static string TextOf(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content))
            return TextOf(content);
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString()!;
        if (value.ValueKind != JsonValueKind.Array)
            return "";
        var text = new StringBuilder();
        foreach (var block in value.EnumerateArray())
        {
            if (block.TryGetProperty("text", out var part))
                text.Append(part.GetString()).Append(' ');
        }
        return text.ToString().TrimEnd();
    }

    private static int WordsOf(JsonElement request)
    {
        var tokens = 0;
        if (request.ValueKind != JsonValueKind.Object) return 0;
        if (request.TryGetProperty("system", out var system))
            tokens += Words(TextOf(system));
        if (request.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
                tokens += Words(TextOf(message));
        }
        return tokens;
    }
}
