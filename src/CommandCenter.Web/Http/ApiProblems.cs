using CommandCenter.Services.Data;
using CommandCenter.Services.Validation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CommandCenter.Web.Http;

/// <summary>Every API error is problem details with an <c>error</c> string, as the public contract promises.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult Error(int status, string error, IDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["error"] = error };
        return TypedResults.Problem(detail: error, statusCode: status, extensions: all);
    }

    /// <summary>Problem details written by the framework (status code pages, exceptions) get the <c>error</c> string too.</summary>
    public static void AddErrorString(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions.TryAdd("error", problem.Detail ?? problem.Title ?? "The request failed.");
    }
}

/// <summary>
/// Exceptions under /api become problem details, never the HTML error page: a body that is not JSON (400), input a
/// service refused (400, per field), the database out of reach (503 with <c>Retry-After</c>). Anything else is left to
/// the framework's problem-details 500.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            return false;
        }

        var problem = exception switch
        {
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode, Title = "Bad request",
                Detail = bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message,
            },
            InvalidInputException invalid => new HttpValidationProblemDetails(invalid.Errors.ToDictionary()) { Status = StatusCodes.Status400BadRequest, Detail = invalid.Message },
            // The net under every rule: text the database cannot take (a NUL, a value longer than its column).
            _ when exception.GetBaseException() is Npgsql.PostgresException { SqlState: "22021" or "22001" or "22P05" } => new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest, Title = "Bad request",
                Detail = "The request contains text that cannot be stored: a NUL character, or a value longer than its field allows.",
            },
            _ when DatabaseFailures.IsTransient(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable, Title = "Service unavailable", Detail = "The database is unavailable; try again in a moment.",
            },
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            LogDatabaseUnavailable(logger, context.Request.Path, DatabaseFailures.Describe(exception));
            RetryAfter.Set(context.Response, TimeSpan.FromSeconds(5));
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, Exception = exception, ProblemDetails = problem });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: the database is unavailable ({Failure})")]
    private static partial void LogDatabaseUnavailable(ILogger logger, PathString path, string failure);
}
