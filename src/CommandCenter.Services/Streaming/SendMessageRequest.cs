using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Validation;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// The body of <c>POST /api/command-center/message</c>, and what the Command Center page sends; <see cref="Attachments"/>
/// names the sender's files (<c>POST /api/files</c>) to send with the message.
/// </summary>
public sealed record SendMessageRequest(
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "The agentId field is required."), MaxLength(64), StorableText]
    string? AgentId,
    [property: MinLength(1), MaxLength(64), RegularExpression(@"^\S+$", ErrorMessage = "The conversationId must be null or a conversation's id."), StorableText]
    string? ConversationId,
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "The message field is required."), StorableText,
        MaxLength(SendMessageRequest.MaxMessageLength, ErrorMessage = "The message is at most 32000 characters long.")]
    string? Message,
    IReadOnlyList<string>? Attachments = null)
{
    public const int MaxMessageLength = 32_000;

    /// <summary>
    /// The message this one replaces, set by the server only: the last question's reply to regenerate (the message is
    /// then that question), or the last question, edited to <see cref="Message"/>.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Replaces { get; init; }
}
