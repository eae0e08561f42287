namespace CommandCenter.Services.Streaming;

/// <summary>The body of <c>POST /api/command-center/message</c>, and what the Command Center page sends.</summary>
public sealed record SendMessageRequest(string? AgentId, string? ConversationId, string? Message)
{
    public const int MaxMessageLength = 32_000;

    /// <summary>Field-level problems, keyed by the camelCase field name; empty when the request is well-formed.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(AgentId))
        {
            errors["agentId"] = ["The agentId field is required."];
        }

        if (string.IsNullOrWhiteSpace(Message))
        {
            errors["message"] = ["The message field is required."];
        }
        else if (Message.Contains('\0'))
        {
            errors["message"] = ["The message contains a NUL character, which cannot be stored."];
        }
        else if (Message.Length > MaxMessageLength)
        {
            errors["message"] = [$"The message is {Message.Length} characters long; the limit is {MaxMessageLength}."];
        }

        if (ConversationId is { } id && string.IsNullOrWhiteSpace(id))
        {
            errors["conversationId"] = ["The conversationId must be null or a conversation's id."];
        }

        return errors;
    }
}
