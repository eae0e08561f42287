using System.Security.Claims;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.AnthropicKeys;

internal static class AnthropicKeyApi
{
    public static RouteGroupBuilder MapAnthropicKeyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/me/anthropic-key").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/", async (ClaimsPrincipal user, AnthropicKeyVault vault, CancellationToken ct) => TypedResults.Ok(await vault.GetStatusAsync(user.UserId(), ct)));
        api.MapPut("/", SetKey);
        api.MapDelete("/", async (ClaimsPrincipal user, AnthropicKeyVault vault, CancellationToken ct) =>
        {
            await vault.RemoveAsync(user.UserId(), ct);
            return TypedResults.NoContent();
        });
        return api;
    }

    private static async Task<Ok<AnthropicKeyStatus>> SetKey(AnthropicKeyInput request, ClaimsPrincipal user, AnthropicKeyVault vault, CancellationToken ct) =>
        TypedResults.Ok(await vault.SetAsync(user.UserId(), request, ct));
}
