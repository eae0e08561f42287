using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using Microsoft.Extensions.Logging;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// Output tokens of a reply that ended before Anthropic reported them (stopped, cut off, failed mid-stream): Anthropic
/// counts the prompt with the partial reply appended, free of charge, and the prompt's own tokens (known since
/// <c>message_start</c>) are taken off. When Anthropic cannot count, the text's length gives an estimate.
/// Either way the cost is flagged as estimated.
/// </summary>
/// <param name="countWith">Counts the request's prompt with the given partial reply appended as the assistant's turn.</param>
internal sealed partial class OutputTokenCounter(Func<string, CancellationToken, Task<int>> countWith, ILogger logger)
{
    /// <summary>For a chat reply: its request, with the partial reply as a final text turn.</summary>
    public static OutputTokenCounter For(AnthropicClient anthropic, string apiKey, WireRequest request, ILogger logger) => new(
        (text, ct) => anthropic.CountTokensAsync(apiKey, new WireCountRequest(request.Model, request.System, [.. request.Messages, new WireMessage("assistant", [new WireTextBlock(text)])]) { Beta = request.Beta }, ct),
        logger);

    // A stopped reply's last events wait for this; the estimate is the fallback.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <param name="continuation">The call continued a paused turn: its prompt is not the request's, so the text's length gives the estimate.</param>
    public async Task<int> CountAsync(string traceId, string partialReply, TokenUsage reported, bool continuation, CancellationToken ct)
    {
        // Anthropic refuses a final assistant turn that ends in whitespace; trailing whitespace is not worth a token here.
        var text = partialReply.TrimEnd();
        if (text.Length == 0)
        {
            return reported.OutputTokens;
        }

        if (continuation)
        {
            return Estimate(text, reported);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            var counted = await countWith(text, timeout.Token);
            var prompt = reported.InputTokens + reported.CacheWriteTokens + reported.CacheReadTokens;
            return Math.Max(reported.OutputTokens, counted - prompt);
        }
        catch (Exception e)
        {
            // Whatever went wrong (refused, timed out, the connection dropped mid-body), the reply must still be recorded.
            LogCountFailed(logger, traceId, e.Message);
            return Estimate(text, reported);
        }
    }

    private static int Estimate(string text, TokenUsage reported) =>
        Math.Max(reported.OutputTokens, (text.Length + ConversationHistory.CharsPerToken - 1) / ConversationHistory.CharsPerToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: Anthropic could not count the stopped reply's tokens ({Reason}); its output is estimated from its length")]
    private static partial void LogCountFailed(ILogger logger, string traceId, string reason);
}
