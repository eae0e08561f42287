using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Validation;

namespace CommandCenter.Services.Users;

/// <summary>A new account, as an admin (or self-registration) asks for it.</summary>
public sealed record NewUser(
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "A valid email address is required."), EmailAddress(ErrorMessage = "A valid email address is required."),
        MaxLength(256, ErrorMessage = "An email address is at most 256 characters."), StorableText]
    string? Email,
    [property: Required(ErrorMessage = "A password is required."), MaxLength(128, ErrorMessage = "A password is at most 128 characters."), StorableText]
    string? Password,
    [property: Required(ErrorMessage = "The role must be Admin or Operator."), RegularExpression(@"(?i)^\s*(Admin|Operator)\s*$", ErrorMessage = "The role must be Admin or Operator.")]
    string? Role);
