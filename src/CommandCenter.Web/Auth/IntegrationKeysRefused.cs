using CommandCenter.Web.IntegrationKeys;
using Microsoft.AspNetCore.Authorization;

namespace CommandCenter.Web.Auth;

/// <summary>
/// The endpoints an integration key may not call (<see cref="AuthPolicies.Api"/>, <see cref="AuthPolicies.ApiAdmin"/>): a valid
/// key is known there, so it is refused with 403 and says so, rather than the 401 that asks a caller who it is; an unknown or
/// revoked key is still 401.
/// </summary>
internal sealed class IntegrationKeysRefused : AuthorizationHandler<IntegrationKeysRefused>, IAuthorizationRequirement
{
    public const string Message = "Integration keys cannot call this endpoint.";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, IntegrationKeysRefused requirement)
    {
        if (context.User.HasClaim(c => c.Type == IntegrationKeyAuthenticationHandler.KeyIdClaim))
        {
            context.Fail(new AuthorizationFailureReason(this, Message));
        }
        else
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
