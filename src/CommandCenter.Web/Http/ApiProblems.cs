using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Http;

/// <summary>Every API error is problem details with an <c>error</c> string, as the public contract promises.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult Error(int status, string error, IDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["error"] = error };
        return TypedResults.Problem(detail: error, statusCode: status, extensions: all);
    }

    public static ValidationProblem Validation(IReadOnlyDictionary<string, string[]> errors)
    {
        var summary = string.Join(" ", errors.SelectMany(e => e.Value));
        return TypedResults.ValidationProblem(errors, detail: summary, extensions: new Dictionary<string, object?> { ["error"] = summary });
    }

    /// <summary>Problem details written by the framework (status code pages, exceptions) get the <c>error</c> string too.</summary>
    public static void AddErrorString(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions.TryAdd("error", problem.Detail ?? problem.Title ?? "The request failed.");
    }
}

/// <summary>A body that is not JSON, or of the wrong shape: 400 with what the framework found, not an empty 400.</summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        context.Response.StatusCode = bad.StatusCode;
        var detail = bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Title = "Bad request", Detail = detail },
        });
    }
}
