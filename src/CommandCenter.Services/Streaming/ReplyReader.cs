using System.Text;
using System.Text.Json;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// Turns one reply's Anthropic events into ours and keeps what they said so far — text, thinking, tool calls, sources,
/// usage — to build the reply's <see cref="ReplySnapshot"/>. No I/O and no locks: one reader per reply, read by one loop.
/// A paused turn continued by another call (<see cref="BeginCall"/>) goes on in the same reader.
/// </summary>
internal sealed class ReplyReader(ThinkingDeltas thinking, bool keepsTurn, TimeProvider clock)
{
    public const string PauseTurn = "pause_turn";

    private readonly StringBuilder _text = new();
    private readonly StringBuilder _thinking = new();
    private readonly StringBuilder _progress = new();
    private bool _progressNoteOpen;
    private readonly ReplyActivityBuilder _activity = new();
    // Server tool calls by id until their result comes, with the position of their entry in the activity.
    private readonly Dictionary<string, (string Name, JsonElement Input, int Index)> _toolCalls = [];

    // The current call's: what it used and said of itself; where its text begins.
    private TokenUsage _usage;
    private bool _outputReported;
    private long _callStart;
    private long? _firstTokenTimestamp;
    private int _callTextStart;

    /// <summary>The turn's content as Anthropic sent it, to send back if it pauses; null when it cannot pause.</summary>
    public AssistantContent? Turn { get; } = keepsTurn ? new AssistantContent() : null;

    public string? StopReason { get; private set; }
    public string? UpstreamMessageId { get; private set; }

    /// <summary>The current call's request id, as Anthropic's response headers gave it.</summary>
    public string? UpstreamRequestId { get; set; }

    /// <summary>Anthropic reported the current call's output tokens (a reply cut off before <c>message_delta</c> did not).</summary>
    public bool OutputReported => _outputReported;

    /// <summary>The current call ended with <c>pause_turn</c>: the turn goes on in another call.</summary>
    public bool Paused => StopReason == PauseTurn;

    /// <summary>The text the current call wrote (a continued turn's earlier calls are recorded already).</summary>
    public string CallText => _text.ToString(_callTextStart, _text.Length - _callTextStart);

    /// <summary>A call begins, made at <paramref name="startTimestamp"/>: the reply's first, or one continuing its paused turn.</summary>
    public void BeginCall(long startTimestamp)
    {
        (_usage, _outputReported, StopReason, UpstreamMessageId, UpstreamRequestId, _firstTokenTimestamp) = (default, false, null, null, null, null);
        (_callStart, _callTextStart) = (startTimestamp, _text.Length);
    }

    /// <summary>Reads one of the call's events; returns what the reply's watchers are told of it, if anything.</summary>
    public StreamEvent? Read(AnthropicEvent e)
    {
        Turn?.Observe(e);
        switch (e)
        {
            case TextDelta text:
                _firstTokenTimestamp ??= clock.GetTimestamp();
                _text.Append(text.Text);
                return new ChunkEvent(text.Text);
            case ThinkingDelta delta when thinking == ThinkingDeltas.AsThinking:
                _thinking.Append(delta.Text);
                return new ThinkingEvent(delta.Text);
            case BlockStarted { Type: "thinking" } when thinking == ThinkingDeltas.AsProgress:
                _progressNoteOpen = false;
                return null;
            case ThinkingDelta { Text.Length: > 0 } note when thinking == ThinkingDeltas.AsProgress:
                // Each thinking block is one note; the next one starts on a new paragraph.
                var said = !_progressNoteOpen && _progress.Length > 0 ? "\n\n" + note.Text : note.Text;
                _progressNoteOpen = true;
                _progress.Append(said);
                return new ProgressEvent(said);
            case ServerToolCalled tool:
                var running = new ToolEvent(tool.Name, tool.Input, ToolEvent.Running);
                _toolCalls[tool.Id] = (tool.Name, tool.Input, _activity.SetTool(running));
                return running;
            case ServerToolResult result when _toolCalls.Remove(result.ToolUseId, out var call):
                var ended = result.ErrorCode is { } code
                    ? new ToolEvent(call.Name, call.Input, ToolEvent.Failed, Error: code)
                    : new ToolEvent(call.Name, call.Input, ToolEvent.Done, result.Results);
                _activity.SetTool(ended, call.Index);
                return ended;
            case CitationDelta citation:
                var source = new CitationEvent(citation.Url, citation.Title, citation.CitedText);
                _activity.AddCitation(source);
                return source;
            case MessageStarted started:
                _usage = _usage.Apply(started.Usage);
                UpstreamMessageId = started.MessageId ?? UpstreamMessageId;
                return null;
            case MessageDelta delta:
                _usage = _usage.Apply(delta.Usage);
                _outputReported |= delta.Usage?.OutputTokens is not null;
                StopReason = delta.StopReason ?? StopReason;
                return null;
            default:
                return null;
        }
    }

    /// <summary>The reply as read so far, ended as <paramref name="outcome"/>; its usage and timing are the current call's.</summary>
    public ReplySnapshot Snapshot(ReplyOutcome outcome, string? error)
    {
        var now = clock.GetTimestamp();
        return new ReplySnapshot(outcome, _usage)
        {
            Text = _text.ToString(),
            Activity = _activity.Build(_thinking.Length > 0 ? _thinking.ToString() : null, _progress.Length > 0 ? _progress.ToString() : null),
            StopReason = StopReason,
            Error = error,
            UpstreamRequestId = UpstreamRequestId,
            UpstreamMessageId = UpstreamMessageId,
            TimeToFirstToken = _firstTokenTimestamp is { } first ? clock.GetElapsedTime(_callStart, first) : null,
            Duration = clock.GetElapsedTime(_callStart, now),
        };
    }
}
