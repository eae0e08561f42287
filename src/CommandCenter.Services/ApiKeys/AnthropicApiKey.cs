namespace CommandCenter.Services.ApiKeys;

/// <summary>A user's own Anthropic key, encrypted with ASP.NET Data Protection.</summary>
public sealed class AnthropicApiKey
{
    public required string UserId { get; init; }
    public required string ProtectedKey { get; set; }
    public required string Last4 { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
