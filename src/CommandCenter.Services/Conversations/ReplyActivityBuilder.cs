using CommandCenter.Services.Streaming;

namespace CommandCenter.Services.Conversations;

/// <summary>
/// Folds a reply's tool and citation events into the lists a <see cref="ReplyActivity"/> keeps: a call's later status
/// replaces its running entry, and a source cited twice is listed once. The server's reader and the chat page fold alike.
/// </summary>
public sealed class ReplyActivityBuilder
{
    private readonly List<ToolEvent> _tools = [];
    private readonly List<CitationEvent> _citations = [];

    public IReadOnlyList<ToolEvent> Tools => _tools;
    public IReadOnlyList<CitationEvent> Citations => _citations;

    /// <summary>
    /// Adds a running call, or replaces one with its later status: the entry at <paramref name="at"/> when the caller
    /// knows it, else the first running call of that tool (calls are told in order). Returns the entry's position.
    /// </summary>
    public int SetTool(ToolEvent tool, int? at = null)
    {
        var index = at ?? (tool.Status == ToolEvent.Running ? -1 : _tools.FindIndex(t => t.Name == tool.Name && t.Status == ToolEvent.Running));
        if (index >= 0)
        {
            _tools[index] = tool;
            return index;
        }

        _tools.Add(tool);
        return _tools.Count - 1;
    }

    /// <summary>Lists a source once (a citation without a URL each time); returns whether it was new.</summary>
    public bool AddCitation(CitationEvent citation)
    {
        if (citation.Url is not null && _citations.Exists(c => c.Url == citation.Url))
        {
            return false;
        }

        _citations.Add(citation);
        return true;
    }

    /// <summary>Starts from what a stored reply did (its calls and sources as they were folded then).</summary>
    public void AddStored(ReplyActivity stored)
    {
        _tools.AddRange(stored.Tools);
        _citations.AddRange(stored.Citations);
    }

    /// <summary>What to store with the reply; null when it did nothing but write.</summary>
    public ReplyActivity? Build(string? thinking, string? progress) =>
        thinking is not null || _tools.Count > 0 || _citations.Count > 0 || progress is not null
            ? new ReplyActivity(thinking, [.. _tools], [.. _citations], progress)
            : null;
}
