using CommandCenter.Services.Anthropic;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// A reply before its call: the caller's Anthropic key, the request to send and the rows it will write, made with what
/// the reply reserved on budgets (<see cref="ReplyRows.Charges"/>). Nothing in it is set again by whoever made it.
/// </summary>
/// <remarks>A class, not a record: a record's generated ToString would print the key.</remarks>
internal sealed class ReplyPlan(string anthropicKey, WireRequest request, ReplyRows rows)
{
    public string AnthropicKey { get; } = anthropicKey;
    public WireRequest Request { get; } = request;
    public ReplyRows Rows { get; } = rows;
}
