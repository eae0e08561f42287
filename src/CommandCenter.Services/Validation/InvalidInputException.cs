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

    /// <summary>Checks <paramref name="request"/>'s DataAnnotations: what services do first, and what forms show before sending.</summary>
    /// <param name="context">What rules that need more than the record read (<see cref="PricedModelAttribute.Among"/>).</param>
    /// <exception cref="InvalidInputException">Any rule is broken.</exception>
    public static void ThrowIfInvalid(object request, IDictionary<object, object?>? context = null)
    {
        if (ErrorsOf(request, context) is { Count: > 0 } errors)
        {
            throw new InvalidInputException(errors);
        }
    }

    /// <summary>The broken rules of <paramref name="request"/>'s DataAnnotations per camelCase field; empty when it is valid.</summary>
    public static IReadOnlyDictionary<string, string[]> ErrorsOf(object request, IDictionary<object, object?>? context = null)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(request, new ValidationContext(request, context), results, validateAllProperties: true);
        return results
            .SelectMany(r => r.MemberNames.DefaultIfEmpty("").Select(member => (Field: JsonNamingPolicy.CamelCase.ConvertName(member), r.ErrorMessage)))
            .GroupBy(e => e.Field, e => e.ErrorMessage ?? "The value is invalid.")
            .ToDictionary(g => g.Key, g => g.ToArray());
    }
}
