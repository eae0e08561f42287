using CommandCenter.Services.Anthropic;

namespace CommandCenter.Services.Streaming;

/// <summary>A reply before its call: the caller's Anthropic key, the request to send, the rows it will write and the most it can cost.</summary>
/// <remarks>A class, not a record: a record's generated ToString would print the key.</remarks>
internal sealed class ReplyPlan(string anthropicKey, WireRequest request, ReplyRows rows, decimal worstCase)
{
    public string AnthropicKey { get; } = anthropicKey;
    public WireRequest Request { get; } = request;
    public ReplyRows Rows { get; } = rows;

    /// <summary>The most this request can cost, which budgets reserve.</summary>
    public decimal WorstCase { get; } = worstCase;
}
