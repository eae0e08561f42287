using System.Text.RegularExpressions;

namespace CommandCenter.Services.Conversations;

internal static partial class ConversationTitles
{
    public const int MaxLength = 80;

    /// <summary>
    /// A title from the first message: its first line as plain text (markdown marks dropped, since titles show as text),
    /// whitespace collapsed, cut at a word with an ellipsis.
    /// </summary>
    public static string From(string firstMessage)
    {
        var plain = PlainText(firstMessage.Trim().Split('\n', 2)[0]);
        var line = string.Join(' ', plain.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
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

    private static string PlainText(string line)
    {
        line = BlockMarker().Replace(line, "");
        line = Link().Replace(line, "$1");
        line = Emphasis().Replace(line, "$2");
        return line.Replace("`", "");
    }

    // A heading, quote or list item's marker at the start of the line.
    [GeneratedRegex(@"^\s*(#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)")]
    private static partial Regex BlockMarker();

    // [text](url) and ![alt](url): the text.
    [GeneratedRegex(@"!?\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex Link();

    // **bold**, __bold__, *em*, _em_, ~~struck~~: the words; never inside a word (snake_case_names stay).
    [GeneratedRegex(@"(?<!\w)(\*\*|__|\*|_|~~)(\S(?:.*?\S)?)\1(?!\w)")]
    private static partial Regex Emphasis();
}
