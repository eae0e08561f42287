using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Validation;

namespace CommandCenter.Services.Agents;

/// <summary>What an admin sends to create or replace an agent (API body and the Agents page form).</summary>
public sealed record AgentInput(
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "The name is required."), StorableText,
        TrimmedMaxLength(AgentInput.MaxNameLength, ErrorMessage = "The name is at most 100 characters.")]
    string? Name,
    [property: StorableText, MaxLength(AgentInput.MaxDescriptionLength, ErrorMessage = "The description is at most 1000 characters.")]
    string? Description,
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "The model is required."), StorableText, MaxLength(100), PricedModel]
    string? Model,
    [property: StorableText, MaxLength(AgentInput.MaxSystemPromptLength, ErrorMessage = "The system prompt is at most 20000 characters.")]
    string? SystemPrompt,
    [property: Range(1, AgentInput.MaxMaxTokens, ErrorMessage = "Max tokens must be between 1 and 128000.")]
    int? MaxTokens,
    [property: RegularExpression(@"(?i)^\s*(ACTIVE|INACTIVE)\s*$", ErrorMessage = "The status must be ACTIVE or INACTIVE."),
        MinLength(1, ErrorMessage = "The status must be ACTIVE or INACTIVE.")]
    string? Status,
    ThinkingSettings? Thinking = null,
    WebSearchSettings? WebSearch = null,
    WebFetchSettings? WebFetch = null) : IValidatableObject
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 1_000;
    public const int MaxSystemPromptLength = 20_000;
    public const int MaxMaxTokens = 128_000;
    public const int DefaultMaxTokens = 1_024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        AgentToolRules.Check(Thinking, WebSearch, MaxTokens ?? DefaultMaxTokens);

    internal static string NormalizeStatus(string? status) => status?.Trim().ToUpperInvariant() ?? AgentStatus.Active;
}
