using System.Text.Json;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CommandCenter.Services.Data.Configurations;

/// <summary>Small records read and written whole, stored as <c>jsonb</c> in the API's camelCase.</summary>
internal static class JsonColumn
{
    public static ValueConverter<T?, string?> Of<T>() where T : class => new(
        v => v == null ? null : JsonSerializer.Serialize(v, JsonSerializerOptions.Web),
        s => s == null ? null : JsonSerializer.Deserialize<T>(s, JsonSerializerOptions.Web));
}
