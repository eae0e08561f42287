using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace CommandCenter.Services.Validation;

/// <summary>
/// Input refused, field by field (camelCase names): the one shape every refusal of bad input takes, whether a request
/// record's DataAnnotations caught it or a rule that needs the database did. The API answers it with a 400 validation
/// problem; pages show it beside the field.
/// </summary>
public sealed class InvalidInputException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static InvalidInputException For(string field, string error) => new(new Dictionary<string, string[]> { [field] = [error] });

    /// <summary>Checks <paramref name="request"/>'s DataAnnotations, the same rules its form shows as you type.</summary>
    /// <exception cref="InvalidInputException">Any rule is broken.</exception>
    public static void ThrowIfInvalid(object request)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(request, new ValidationContext(request), results, validateAllProperties: true))
        {
            throw new InvalidInputException(results
                .SelectMany(r => r.MemberNames.DefaultIfEmpty("").Select(member => (Field: JsonNamingPolicy.CamelCase.ConvertName(member), r.ErrorMessage)))
                .GroupBy(e => e.Field, e => e.ErrorMessage ?? "The value is invalid.")
                .ToDictionary(g => g.Key, g => g.ToArray()));
        }
    }
}
