using System.Text;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Traces;

namespace CommandCenter.Services.Streaming;

internal enum TurnOutcome
{
    Completed,
    Failed,
    Cancelled,
}

/// <summary>The rows of one message in flight and what has arrived so far; settled exactly once.</summary>
internal sealed class Turn(TaskTrace trace, TraceSession session, Message reply, ModelPrice price, long startTimestamp)
{
    private int _settled;

    public TaskTrace Trace { get; } = trace;
    public TraceSession Session { get; } = session;
    public Message Reply { get; } = reply;
    public ModelPrice Price { get; } = price;
    public long StartTimestamp { get; } = startTimestamp;

    public TokenUsage Usage { get; set; }
    public string? StopReason { get; set; }
    public StringBuilder Text { get; } = new();
    public long? FirstTokenTimestamp { get; set; }
    public int? UpstreamStatus { get; set; }
    public string? UpstreamRequestId { get; set; }
    public string? UpstreamMessageId { get; set; }

    public bool IsSettled => Volatile.Read(ref _settled) == 1;

    /// <summary>True for the one caller that gets to settle.</summary>
    public bool TryBeginSettle() => Interlocked.Exchange(ref _settled, 1) == 0;
}
