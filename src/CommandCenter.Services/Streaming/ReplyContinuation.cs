using CommandCenter.Services.Anthropic;

namespace CommandCenter.Services.Streaming;

/// <summary>How a reply continues a turn Anthropic paused: the call that sends the turn so far back, and how often it may.</summary>
internal sealed class ReplyContinuation(Func<WireMessage, CancellationToken, Task<AnthropicStream>> open, int maxContinuations)
{
    public int MaxContinuations { get; } = maxContinuations;

    /// <summary>Opens the call that continues the turn whose content so far is <paramref name="turn"/>.</summary>
    /// <exception cref="AnthropicApiException">Anthropic refused it.</exception>
    public Task<AnthropicStream> OpenAsync(WireMessage turn, CancellationToken ct) => open(turn, ct);
}
