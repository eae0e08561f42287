namespace CommandCenter.Services.Conversations;

internal static class ConversationTitles
{
    public const int MaxLength = 80;

    /// <summary>A title from the first message: its first line, whitespace collapsed, cut at a word with an ellipsis.</summary>
    public static string From(string firstMessage)
    {
        var line = string.Join(' ', firstMessage.Trim().Split('\n', 2)[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (line.Length <= MaxLength)
        {
            return line.Length == 0 ? "New conversation" : line;
        }

        var cut = line.LastIndexOf(' ', MaxLength - 1);
        if (cut <= MaxLength / 2)
        {
            // No word break near the end: cut hard, but never between the two halves of a surrogate pair (an emoji, say).
            cut = char.IsHighSurrogate(line[MaxLength - 2]) ? MaxLength - 2 : MaxLength - 1;
        }

        return string.Concat(line.AsSpan(0, cut), "…");
    }
}
