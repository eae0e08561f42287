namespace CommandCenter.Services.Agents;

/// <summary>A named model + system prompt, with the Claude tools it may use, that operators talk to.</summary>
public sealed class Agent
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public required string Model { get; set; }
    public string SystemPrompt { get; set; } = "";
    public int MaxTokens { get; set; }
    public string Status { get; set; } = AgentStatus.Active;
    /// <summary>Null when off, like <see cref="WebSearch"/> and <see cref="WebFetch"/>.</summary>
    public ThinkingSettings? Thinking { get; set; }
    public WebSearchSettings? WebSearch { get; set; }
    public WebFetchSettings? WebFetch { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsActive => Status == AgentStatus.Active;
}

public static class AgentStatus
{
    public const string Active = "ACTIVE";
    public const string Inactive = "INACTIVE";
}
