namespace CommandCenter.Services.Streaming;

/// <summary>
/// A claim on one live reply of a user, and on its conversation, from before Anthropic is called until the reply ends;
/// disposing it gives it back to <see cref="LiveReplies"/>, once however often it is disposed.
/// </summary>
internal sealed class Reservation(LiveReplies registry, string ownerId, string? conversationId) : IDisposable
{
    public string OwnerId { get; } = ownerId;
    public string? ConversationId { get; set; } = conversationId;
    public LiveReply? Reply { get; set; }

    /// <summary>Set when the reply must stop as soon as it runs (its account was disabled while Anthropic was being called).</summary>
    public ReplyStop? StopOnStart { get; set; }

    public bool Released { get; set; }

    public void Dispose() => registry.Release(this);
}
