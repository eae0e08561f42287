using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;

namespace CommandCenter.Unit.Services;

/// <summary>A reply's calls when it cannot pause: its cut-off output is what Anthropic reported.</summary>
internal sealed class NoCalls : IReplyUpstream
{
    public static readonly NoCalls Instance = new();

    public int MaxContinuations => 0;

    public Task<AnthropicStream> ContinueAsync(WireMessage turn, CancellationToken ct) => throw new InvalidOperationException("No server tools, no pause.");

    public Task<int> CountOutputAsync(string traceId, string partialReply, TokenUsage reported, bool continuation, CancellationToken ct) =>
        Task.FromResult(reported.OutputTokens);
}

/// <summary>A reply recorded nowhere, at once.</summary>
internal sealed class NoDatabase : IReplyRecorder
{
    public static readonly NoDatabase Instance = new();

    public Task RecordStartAsync(ReplyRows rows, ReplySnapshot snapshot, CancellationToken ct) => Task.CompletedTask;

    public Task<CostEvent> SettleAsync(ReplyRows rows, ReplySnapshot end, CancellationToken ct) =>
        Task.FromResult(new CostEvent(end.Usage.InputTokens, end.Usage.OutputTokens, 0, 0, 0m, 0m, rows.Session.ModelUsed, end.StopReason));

    public Task ContinueAsync(ReplyRows rows, ReplySnapshot paused, CancellationToken ct) => Task.CompletedTask;
}
