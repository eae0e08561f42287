using System.Security.Claims;
using CommandCenter.Services.Data;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Auth;

/// <summary>
/// A bearer token is only as good as the account behind it: the account must still exist, not be disabled or locked
/// out, and have the security stamp the token was issued with (disabling an account or changing its password changes the
/// stamp), so a disabled operator cannot keep spending until the token expires. The account's current stamp is kept
/// in <see cref="ShortCache"/>, which any change to the account evicts on every instance; the message start checks anyway.
/// </summary>
internal sealed class ActiveAccountRequirement : IAuthorizationRequirement;

internal sealed class ActiveAccountHandler(UserManager<ApplicationUser> users, IOptions<IdentityOptions> identity, ShortCache cache)
    : AuthorizationHandler<ActiveAccountRequirement>
{
    // Cached for an account that may not sign in, so a burst of calls from it costs one query too.
    private const string NoValidStamp = "";

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveAccountRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            context.Fail(new AuthorizationFailureReason(this, "Sign in first."));
            return;
        }

        var userId = context.User.UserId();
        var stamp = context.User.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        var valid = await cache.GetOrLoadAsync(ShortCache.SignIn(userId), async () =>
            await users.FindByIdAsync(userId) is { } user && !await users.IsLockedOutAsync(user)
                ? await users.GetSecurityStampAsync(user)
                : NoValidStamp);
        // An integration key carries no stamp: it is good while its owner's account is.
        var viaKey = context.User.HasClaim(c => c.Type == IntegrationKeys.IntegrationKeyAuthenticationHandler.KeyIdClaim);
        if (viaKey ? valid is { Length: > 0 } : stamp is { Length: > 0 } && stamp == valid)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, "This account is disabled or its sign-in is no longer valid; sign in again."));
        }
    }
}
