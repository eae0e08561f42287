using CommandCenter.Services.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace CommandCenter.Web.Auth;

/// <summary>
/// A bearer token is only as good as the account behind it: one lookup per API call checks that the account still
/// exists, is not disabled or locked out, and has the security stamp the token was issued with (disabling an account
/// or changing its password changes the stamp), so a disabled operator cannot keep spending until the token expires.
/// </summary>
internal sealed class ActiveAccountRequirement : IAuthorizationRequirement;

internal sealed class ActiveAccountHandler(SignInManager<ApplicationUser> signIn) : AuthorizationHandler<ActiveAccountRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveAccountRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true
            && await signIn.ValidateSecurityStampAsync(context.User) is { } user
            && !await signIn.UserManager.IsLockedOutAsync(user))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, "This account is disabled or its sign-in is no longer valid; sign in again."));
        }
    }
}
