using System.Security.Claims;
using CommandCenter.Services.Data;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace CommandCenter.Web.Auth;

/// <summary>
/// A bearer token is only as good as the account behind it: the account must still exist, not be disabled or locked
/// out, and have the security stamp the token was issued with (disabling an account or changing its password changes the
/// stamp), so a disabled operator cannot keep spending until the token expires. Checked at most every few seconds per
/// user (<see cref="ShortCache"/>); disabling an account drops its entry at once, and the message start checks anyway.
/// </summary>
internal sealed class ActiveAccountRequirement : IAuthorizationRequirement;

internal sealed class ActiveAccountHandler(SignInManager<ApplicationUser> signIn, ShortCache cache) : AuthorizationHandler<ActiveAccountRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveAccountRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            context.Fail(new AuthorizationFailureReason(this, "Sign in first."));
            return;
        }

        // A sign-in checked a moment ago (same user, same stamp) is not looked up again: a burst of calls costs one query.
        var key = ShortCache.SignIn(context.User.UserId());
        var stamp = context.User.FindFirstValue(signIn.Options.ClaimsIdentity.SecurityStampClaimType);
        if (stamp is not null && cache.TryGet<string>(key, out var valid) && valid == stamp)
        {
            context.Succeed(requirement);
            return;
        }

        if (await signIn.ValidateSecurityStampAsync(context.User) is { } user && !await signIn.UserManager.IsLockedOutAsync(user))
        {
            if (stamp is not null)
            {
                cache.Set(key, stamp);
            }

            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, "This account is disabled or its sign-in is no longer valid; sign in again."));
        }
    }
}
