using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Validation;

/// <summary>Text PostgreSQL can store: no NUL character, and no half of a surrogate pair (which is not UTF-8 at all).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class StorableTextAttribute() : ValidationAttribute("The {0} field contains a character that cannot be stored (NUL, or half of a surrogate pair).")
{
    public override bool IsValid(object? value) => value is not string text || IsStorable(text);

    public static bool IsStorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0' || (char.IsHighSurrogate(c) && (i + 1 == text.Length || !char.IsLowSurrogate(text[++i]))) || char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
