using System.Text.Json;
using System.Text.Json.Serialization;

namespace CommandCenter.Web.Gateway;

/// <summary>
/// Errors under <c>/v1</c> in Anthropic's own shape, <c>{"type":"error","error":{"type","message"}}</c>, which the
/// official SDKs and Claude Code read; never a problem document or a page.
/// </summary>
internal static class AnthropicErrors
{
    public static async Task WriteAsync(HttpResponse response, int status, string type, string message, TimeSpan? retryAfter = null)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (retryAfter is { } delay)
        {
            Http.RetryAfter.Set(response, delay);
        }

        await JsonSerializer.SerializeAsync(response.Body, new ErrorBody(new ErrorDetail(type, message)), AnthropicErrorJsonContext.Default.ErrorBody);
    }

    /// <summary>The <c>/v1</c> branch of the pipeline: an unexpected failure, or a path or method with no endpoint, answers in Anthropic's shape.</summary>
    public static IApplicationBuilder UseAnthropicErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AnthropicErrors)).LogError(e, "Gateway request failed");
            await WriteAsync(context.Response, StatusCodes.Status500InternalServerError, "api_error", "Internal server error");
            return;
        }

        if (!context.Response.HasStarted && context.Response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed
            && context.Response.ContentLength is null && string.IsNullOrEmpty(context.Response.ContentType))
        {
            await WriteAsync(context.Response, StatusCodes.Status404NotFound, "not_found_error", "Not found");
        }
    });

    internal sealed record ErrorBody([property: JsonPropertyOrder(1)] ErrorDetail Error)
    {
        [JsonPropertyOrder(0)]
        public string Type => "error";
    }

    internal sealed record ErrorDetail(string Type, string Message);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AnthropicErrors.ErrorBody))]
internal sealed partial class AnthropicErrorJsonContext : JsonSerializerContext;
