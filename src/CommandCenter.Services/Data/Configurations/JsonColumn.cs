using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CommandCenter.Services.Data.Configurations;

/// <summary>Small records read and written whole, stored as <c>jsonb</c> in the API's camelCase.</summary>
internal static class JsonColumn
{
    public static ValueConverter<T?, string?> Of<T>() where T : class => new(
        v => v == null ? null : JsonSerializer.Serialize(v, JsonSerializerOptions.Web),
        s => s == null ? null : JsonSerializer.Deserialize<T>(s, JsonSerializerOptions.Web));

    /// <summary>Compares by the JSON written, so that EF sees a list or record changed (or not) as the column would.</summary>
    public static ValueComparer<T?> Comparer<T>() where T : class => new(
        (a, b) => Json(a) == Json(b),
        v => Json(v).GetHashCode(StringComparison.Ordinal),
        v => v == null ? null : JsonSerializer.Deserialize<T>(Json(v), JsonSerializerOptions.Web));

    private static string Json<T>(T? value) where T : class => value == null ? "" : JsonSerializer.Serialize(value, JsonSerializerOptions.Web);
}
