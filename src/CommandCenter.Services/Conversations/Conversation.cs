namespace CommandCenter.Services.Conversations;

/// <summary>A multi-turn chat with one agent, owned by one user.</summary>
public sealed class Conversation
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string AgentId { get; init; }
    public required string Title { get; set; }
    public bool Archived { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    public List<Message> Messages { get; init; } = [];
}
