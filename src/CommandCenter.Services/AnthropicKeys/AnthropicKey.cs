namespace CommandCenter.Services.AnthropicKeys;

/// <summary>A user's own Anthropic key, encrypted with ASP.NET Data Protection.</summary>
public sealed class AnthropicKey
{
    public required string UserId { get; init; }
    public required string ProtectedKey { get; set; }
    public required string Last4 { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
