using System.Security.Claims;
using CommandCenter.Services.IntegrationKeys;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.IntegrationKeys;

/// <summary>The caller's own integration keys. Managed with a sign-in token only: a key cannot mint or revoke keys.</summary>
internal static class IntegrationKeysApi
{
    public sealed record CreatedKeyResponse(
        string Id, string Name, string Prefix, string Key, decimal? MonthlyBudget, int? MessagesPerMinute, DateTimeOffset CreatedAt);

    public static RouteGroupBuilder MapIntegrationKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/api-keys").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/", async (ClaimsPrincipal user, IntegrationKeyStore keys, CancellationToken ct) => TypedResults.Ok(await keys.ListAsync(user.UserId(), ct)));
        api.MapPost("/", CreateAsync);
        api.MapDelete("/{id}", async Task<IResult> (string id, ClaimsPrincipal user, IntegrationKeyStore keys, CancellationToken ct) =>
            await keys.DeleteAsync(user.UserId(), id, ct)
                ? TypedResults.NoContent()
                : ApiProblems.Error(StatusCodes.Status404NotFound, $"API key with ID {id} not found"));
        return api;
    }

    private static async Task<Created<CreatedKeyResponse>> CreateAsync(IntegrationKeyInput input, ClaimsPrincipal user, IntegrationKeyStore keys, CancellationToken ct)
    {
        var created = await keys.CreateAsync(user.UserId(), input, ct);
        var view = created.View;
        return TypedResults.Created($"/api/api-keys/{view.Id}",
            new CreatedKeyResponse(view.Id, view.Name, view.Prefix, created.Key, view.MonthlyBudget, view.MessagesPerMinute, view.CreatedAt));
    }
}
