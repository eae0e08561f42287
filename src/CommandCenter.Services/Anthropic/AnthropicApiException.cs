namespace CommandCenter.Services.Anthropic;

/// <summary>Anthropic refused a call before streaming (a non-2xx status).</summary>
public sealed class AnthropicApiException(int statusCode, string errorType, string upstreamMessage, string? requestId)
    : Exception($"Anthropic API returned {statusCode} ({errorType}): {upstreamMessage}")
{
    public int StatusCode { get; } = statusCode;
    public string ErrorType { get; } = errorType;
    public string UpstreamMessage { get; } = upstreamMessage;
    public string? RequestId { get; } = requestId;

    /// <summary>Anthropic's <c>retry-after</c>, when it said when to try again (a 429 or an overload).</summary>
    public TimeSpan? RetryAfter { get; init; }
}
