using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Validation;

namespace CommandCenter.Services.Users;

/// <summary>A new account, as an admin (or self-registration) asks for it.</summary>
public sealed record NewUser(
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "A valid email address is required."), EmailAddress(ErrorMessage = "A valid email address is required."),
        MaxLength(NewUser.MaxEmailLength, ErrorMessage = "An email address is at most 256 characters."), StorableText]
    string? Email,
    [property: Required(ErrorMessage = "A password is required."), MaxLength(NewUser.MaxPasswordLength, ErrorMessage = "A password is at most 128 characters."), StorableText]
    string? Password,
    [property: Required(ErrorMessage = "The role must be Admin or Operator."), RegularExpression(@"(?i)^\s*(Admin|Operator)\s*$", ErrorMessage = "The role must be Admin or Operator.")]
    string? Role)
{
    public const int MaxEmailLength = 256;
    public const int MaxPasswordLength = 128;

    /// <summary>Never the password, whoever logs this.</summary>
    public override string ToString() => $"NewUser {{ Email = {Email}, Role = {Role} }}";
}

/// <summary>An admin gives an account another role.</summary>
public sealed record RoleChange(
    [property: Required(ErrorMessage = "The role must be Admin or Operator."), RegularExpression(@"(?i)^\s*(Admin|Operator)\s*$", ErrorMessage = "The role must be Admin or Operator.")]
    string? Role);

/// <summary>An admin sets a new password for an account (its owner forgot it).</summary>
public sealed record PasswordReset(
    [property: Required(ErrorMessage = "A password is required."), MaxLength(NewUser.MaxPasswordLength, ErrorMessage = "A password is at most 128 characters."), StorableText]
    string? Password)
{
    /// <summary>Never the password, whoever logs this.</summary>
    public override string ToString() => "PasswordReset { }";
}
