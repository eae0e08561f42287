using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Pricing;
using Microsoft.Extensions.Logging;

namespace CommandCenter.Services.Streaming;

/// <summary>Where a <see cref="LiveReply"/>'s calls go: the port its lifecycle is tested through.</summary>
internal interface IReplyUpstream
{
    /// <summary>How often a paused turn may be continued; 0 when the request cannot pause (no server tools).</summary>
    int MaxContinuations { get; }

    /// <summary>Opens the call that continues the turn whose content so far is <paramref name="turn"/>.</summary>
    /// <exception cref="AnthropicApiException">Anthropic refused it.</exception>
    Task<AnthropicStream> ContinueAsync(WireMessage turn, CancellationToken ct);

    /// <summary>The output tokens of a call that ended before Anthropic reported them (see <see cref="OutputTokenCounter"/>).</summary>
    Task<int> CountOutputAsync(string traceId, string partialReply, TokenUsage reported, bool continuation, CancellationToken ct);
}

/// <summary>One reply's calls to Anthropic, with the caller's key: the first, the continuations of a paused turn, and the count of a cut-off reply.</summary>
/// <remarks>A class, not a record: a record's generated ToString would print the key.</remarks>
internal sealed class ReplyUpstream(AnthropicClient anthropic, string apiKey, WireRequest request, int maxContinuations, ILogger logger) : IReplyUpstream
{
    private readonly OutputTokenCounter _counter = OutputTokenCounter.For(anthropic, apiKey, request, logger);

    // Only server tools pause a turn.
    public int MaxContinuations { get; } = request.Tools is null ? 0 : maxContinuations;

    /// <exception cref="AnthropicApiException">Anthropic refused the call.</exception>
    public Task<AnthropicStream> OpenAsync(CancellationToken ct) => anthropic.OpenStreamAsync(apiKey, request, ct);

    // The continuation repeats the request with the turn so far after it.
    public Task<AnthropicStream> ContinueAsync(WireMessage turn, CancellationToken ct) =>
        anthropic.OpenStreamAsync(apiKey, request with { Messages = [.. request.Messages, turn] }, ct);

    public Task<int> CountOutputAsync(string traceId, string partialReply, TokenUsage reported, bool continuation, CancellationToken ct) =>
        _counter.CountAsync(traceId, partialReply, reported, continuation, ct);
}
