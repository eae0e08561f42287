using System.Security.Claims;
using CommandCenter.Services.Traces;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Traces;

/// <summary>The trace explorer over HTTP: operators see their own traces, administrators everyone's; another user's trace is a 404.</summary>
internal static class TracesApi
{
    public static RouteGroupBuilder MapTracesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/traces").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/", ListTraces);
        api.MapGet("/{id}", GetTrace);
        return api;
    }

    private static async Task<Ok<TracePage>> ListTraces(
        ClaimsPrincipal user, TraceExplorer traces, string? status, string? agentId, string? model, string? userId, string? from, string? to,
        string? minCost, string? maxCost, string? page, string? pageSize, string? apiKeyId, CancellationToken ct)
    {
        var filter = TraceFilter.Parse(status, agentId, model, userId, from, to, minCost, maxCost, page, pageSize, apiKeyId);
        return TypedResults.Ok(await traces.ListAsync(filter, user.VisibleOwnerId(), ct));
    }

    private static async Task<Results<Ok<TraceDetail>, ProblemHttpResult>> GetTrace(string id, ClaimsPrincipal user, TraceExplorer traces, CancellationToken ct) =>
        await traces.GetAsync(id, user.VisibleOwnerId(), ct) is { } trace
            ? TypedResults.Ok(trace)
            : ApiProblems.Error(StatusCodes.Status404NotFound, $"Trace with ID {id} not found");
}
