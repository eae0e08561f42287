using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace CommandCenter.Web.Auth;

/// <summary>Writes the 403 of <see cref="IntegrationKeysRefused"/> as a problem document naming why; every other outcome as the framework does.</summary>
internal sealed class IntegrationKeysRefusedResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault(r => r.Handler is IntegrationKeysRefused) is { } refused)
        {
            await ApiProblems.Error(StatusCodes.Status403Forbidden, refused.Message).ExecuteAsync(context);
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
