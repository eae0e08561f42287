using System.Security.Claims;
using CommandCenter.Services.ApiKeys;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.ApiKeys;

internal static class ApiKeyApi
{
    public static RouteGroupBuilder MapApiKeyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/me/anthropic-key").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/", async (ClaimsPrincipal user, ApiKeyVault vault, CancellationToken ct) => TypedResults.Ok(await vault.GetStatusAsync(user.UserId(), ct)));
        api.MapPut("/", SetKey);
        api.MapDelete("/", async (ClaimsPrincipal user, ApiKeyVault vault, CancellationToken ct) =>
        {
            await vault.RemoveAsync(user.UserId(), ct);
            return TypedResults.NoContent();
        });
        return api;
    }

    private static async Task<Ok<ApiKeyStatus>> SetKey(AnthropicKeyInput request, ClaimsPrincipal user, ApiKeyVault vault, CancellationToken ct) =>
        TypedResults.Ok(await vault.SetAsync(user.UserId(), request, ct));
}
