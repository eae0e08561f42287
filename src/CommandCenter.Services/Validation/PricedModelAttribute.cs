using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Validation;

/// <summary>A model with a price, or its replies could not be priced. The priced models come with the validation (<see cref="Among"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class PricedModelAttribute : ValidationAttribute
{
    /// <summary>What to validate with: the models that have a price now.</summary>
    public static IDictionary<object, object?> Among(IReadOnlyCollection<string> pricedModels) =>
        new Dictionary<object, object?> { [typeof(PricedModelAttribute)] = pricedModels };

    protected override ValidationResult? IsValid(object? value, ValidationContext context)
    {
        if (!context.Items.TryGetValue(typeof(PricedModelAttribute), out var known) || known is not IReadOnlyCollection<string> priced)
        {
            throw new InvalidOperationException("A priced model is checked against the priced models: validate with PricedModelAttribute.Among(…).");
        }

        if (value is not string model || priced.Contains(model.Trim()))
        {
            return ValidationResult.Success;
        }

        return new ValidationResult($"Unknown model '{model}'. Priced models: {string.Join(", ", priced)}.", context.MemberName is { } member ? [member] : []);
    }
}
