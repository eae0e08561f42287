using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.AnthropicKeys;

/// <summary>
/// A user's Anthropic key as they enter it (Settings page, <c>PUT /api/me/anthropic-key</c>); no message ever echoes it.
/// <c>ApiKey</c> is the public body's field (<c>{apiKey}</c>), kept for the clients that send it.
/// </summary>
public sealed record AnthropicKeyInput(
    [property: Required(ErrorMessage = "An API key is required."),
        MinLength(8, ErrorMessage = "An API key is at least 8 characters."),
        MaxLength(AnthropicKeyVault.MaxKeyLength, ErrorMessage = "An API key is at most 256 characters."),
        RegularExpression(@"^[^\s\p{C}]*$", ErrorMessage = "An API key cannot contain spaces or control characters.")]
    string? ApiKey)
{
    /// <summary>Never the key, whoever logs this.</summary>
    public override string ToString() => "AnthropicKeyInput { ApiKey = *** }";
}
