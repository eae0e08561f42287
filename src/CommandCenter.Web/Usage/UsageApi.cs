using System.Security.Claims;
using System.Text;
using CommandCenter.Services.Usage;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Usage;

/// <summary>Spend and tokens by class, as JSON or CSV. Operators see their own usage; administrators everyone's, or one user's.</summary>
internal static class UsageApi
{
    public static RouteGroupBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/usage", GetUsage);
        api.MapGet("/usage.csv", GetUsageCsv);
        return api;
    }

    private static async Task<Results<Ok<UsageReport>, ProblemHttpResult>> GetUsage(
        ClaimsPrincipal user, UsageStore usage, TimeProvider clock, string? from, string? to, string? groupBy, string? userId, CancellationToken ct)
    {
        var query = UsageQuery.Parse(from, to, groupBy, userId, Today(clock));
        return Refusal(user, query) ?? (Results<Ok<UsageReport>, ProblemHttpResult>)TypedResults.Ok(await usage.GetAsync(query, OwnerFilter(user, query), ct));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetUsageCsv(
        ClaimsPrincipal user, UsageStore usage, TimeProvider clock, string? from, string? to, string? groupBy, string? userId, CancellationToken ct)
    {
        var query = UsageQuery.Parse(from, to, groupBy, userId, Today(clock));
        if (Refusal(user, query) is { } refused)
        {
            return refused;
        }

        var report = await usage.GetAsync(query, OwnerFilter(user, query), ct);
        return TypedResults.File(Encoding.UTF8.GetBytes(UsageCsv.Write(report)), "text/csv; charset=utf-8", $"usage-{report.From:yyyy-MM-dd}-to-{report.To:yyyy-MM-dd}.csv");
    }

    private static DateOnly Today(TimeProvider clock) => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    private static ProblemHttpResult? Refusal(ClaimsPrincipal user, UsageQuery query) =>
        user.VisibleOwnerId() is { } own && query.UserId is { } other && other != own
            ? ApiProblems.Error(StatusCodes.Status403Forbidden, "Only administrators can see other users' usage.")
            : null;

    /// <summary>Whose traces count: an operator's own; for an administrator, the user asked for, or everyone's.</summary>
    private static string? OwnerFilter(ClaimsPrincipal user, UsageQuery query) => user.VisibleOwnerId() ?? query.UserId;
}
