using System.ComponentModel.DataAnnotations;

namespace CommandCenter.Services.Validation;

/// <summary>At most <paramref name="length"/> characters once leading and trailing spaces are trimmed (as the value is stored).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class TrimmedMaxLengthAttribute(int length) : ValidationAttribute($"The {{0}} field is at most {length} characters.")
{
    public override bool IsValid(object? value) => value is not string text || text.Trim().Length <= length;
}
