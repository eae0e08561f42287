namespace CommandCenter.Services.Agents;

/// <summary>What an admin sends to create or replace an agent (API body and the Agents page form).</summary>
public sealed record AgentInput(string? Name, string? Description, string? Model, string? SystemPrompt, int? MaxTokens, string? Status)
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 1_000;
    public const int MaxSystemPromptLength = 20_000;
    public const int MaxMaxTokens = 64_000;
    public const int DefaultMaxTokens = 1_024;

    /// <summary>Problems per camelCase field name, checked without the database except for the priced models.</summary>
    public Dictionary<string, string[]> Validate(IReadOnlyCollection<string> pricedModels)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            errors["name"] = ["The name is required."];
        }
        else if (Name.Trim().Length > MaxNameLength)
        {
            errors["name"] = [$"The name is at most {MaxNameLength} characters."];
        }

        if ((Description?.Length ?? 0) > MaxDescriptionLength)
        {
            errors["description"] = [$"The description is at most {MaxDescriptionLength} characters."];
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            errors["model"] = ["The model is required."];
        }
        else if (!pricedModels.Contains(Model.Trim()))
        {
            errors["model"] = [$"Unknown model '{Model}'. Priced models: {string.Join(", ", pricedModels)}."];
        }

        if ((SystemPrompt?.Length ?? 0) > MaxSystemPromptLength)
        {
            errors["systemPrompt"] = [$"The system prompt is at most {MaxSystemPromptLength} characters."];
        }

        if (MaxTokens is < 1 or > MaxMaxTokens)
        {
            errors["maxTokens"] = [$"Max tokens must be between 1 and {MaxMaxTokens}."];
        }

        if (Status is not null && NormalizeStatus(Status) is null)
        {
            errors["status"] = [$"The status must be {AgentStatus.Active} or {AgentStatus.Inactive}."];
        }

        return errors;
    }

    internal static string? NormalizeStatus(string? status) => status?.Trim().ToUpperInvariant() switch
    {
        null => AgentStatus.Active,
        AgentStatus.Active => AgentStatus.Active,
        AgentStatus.Inactive => AgentStatus.Inactive,
        _ => null,
    };
}
