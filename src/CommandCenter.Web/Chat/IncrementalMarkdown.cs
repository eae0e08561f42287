namespace CommandCenter.Web.Chat;

/// <summary>
/// Renders one growing reply. Blocks that text arriving later can no longer change (closed by a blank line, outside a
/// code fence, and followed by a block that cannot continue them) are rendered once and kept; each update parses and
/// sanitizes only the open tail, so the work per update stays small however long the reply grows. The finished reply
/// is rendered whole once, exactly as <see cref="MarkdownRenderer.ToSafeHtml"/> would.
/// </summary>
internal sealed class IncrementalMarkdown(MarkdownRenderer renderer)
{
    private string _frozenHtml = "";
    private int _frozenLength;
    private string? _text;
    private bool _complete;
    private string _html = "";

    public string Render(string text, bool complete)
    {
        if (ReferenceEquals(text, _text) && complete == _complete)
        {
            return _html;
        }

        if (complete)
        {
            _html = renderer.ToSafeHtml(text);
        }
        else
        {
            if (_text is null || text.Length < _frozenLength || string.CompareOrdinal(text, 0, _text, 0, _frozenLength) != 0)
            {
                (_frozenHtml, _frozenLength) = ("", 0); // not a continuation of what was rendered: start over
            }

            var boundary = LastClosedBlockEnd(text, _frozenLength);
            if (boundary > _frozenLength)
            {
                _frozenHtml += renderer.ToSafeHtml(text[_frozenLength..boundary]);
                _frozenLength = boundary;
            }

            _html = _frozenHtml + renderer.ToSafeHtml(text[_frozenLength..]);
        }

        (_text, _complete) = (text, complete);
        return _html;
    }

    /// <summary>
    /// The end of the last block after <paramref name="from"/> that nothing later can reopen: a blank line outside a
    /// fence, followed by a line that starts a new top-level block (not indented, not a list item, quote or table row,
    /// which could continue what came before). <paramref name="from"/> itself is always outside a fence.
    /// </summary>
    internal static int LastClosedBlockEnd(string text, int from)
    {
        var boundary = from;
        var inFence = false;
        var previousBlank = false;
        var lineStart = from;
        while (lineStart < text.Length)
        {
            var lineEnd = text.IndexOf('\n', lineStart);
            var partial = lineEnd < 0; // the last line, which may still grow
            var line = text.AsSpan(lineStart, (partial ? text.Length : lineEnd) - lineStart).TrimEnd('\r');
            if (!inFence && previousBlank && line.Length > 0 && StartsTopLevelBlock(line, partial))
            {
                boundary = lineStart;
            }

            if (partial)
            {
                break;
            }

            if (line.StartsWith("```") || line.StartsWith("~~~"))
            {
                inFence = !inFence;
            }

            previousBlank = !inFence && line.IsWhiteSpace();
            lineStart = lineEnd + 1;
        }

        return boundary;
    }

    /// <param name="partial">The line may still grow: a digit could yet become "1." and a list item.</param>
    private static bool StartsTopLevelBlock(ReadOnlySpan<char> line, bool partial)
    {
        var first = line[0];
        if (char.IsWhiteSpace(first) || first is '>' or '|' or '-' or '*' or '+' || (partial && char.IsAsciiDigit(first)))
        {
            return false;
        }

        // "12. item" or "3) item": an ordered list item, which could continue a list above.
        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits]))
        {
            digits++;
        }

        return !(digits > 0 && digits < line.Length && line[digits] is '.' or ')');
    }
}
