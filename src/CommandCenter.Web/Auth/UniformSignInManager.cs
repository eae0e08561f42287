using CommandCenter.Services.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Auth;

/// <summary>
/// Password sign-in that tells a guesser nothing: an unknown account, a wrong password and a disabled account answer the
/// same <c>Failed</c> after the same work (a password hash is computed in every case); only someone who knows the password
/// learns that the account is disabled. Failed attempts never lock an account (an anonymous client could otherwise keep
/// anyone locked out); guessing is bounded by the per-address sign-in rate limit instead.
/// </summary>
internal sealed class UniformSignInManager(
    UserManager<ApplicationUser> users,
    IHttpContextAccessor context,
    IUserClaimsPrincipalFactory<ApplicationUser> claims,
    IOptions<IdentityOptions> options,
    ILogger<SignInManager<ApplicationUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<ApplicationUser> confirmation)
    : SignInManager<ApplicationUser>(users, context, claims, options, logger, schemes, confirmation)
{
    // A hash of a random password, so that an unknown account costs what a known one does.
    private static readonly ApplicationUser Nobody = new();
    private static readonly string NobodysHash = new PasswordHasher<ApplicationUser>().HashPassword(Nobody, Guid.NewGuid().ToString());

    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var user = await UserManager.FindByNameAsync(userName);
        if (user is null)
        {
            UserManager.PasswordHasher.VerifyHashedPassword(Nobody, NobodysHash, password);
            return SignInResult.Failed;
        }

        if (await UserManager.IsLockedOutAsync(user))
        {
            return await UserManager.CheckPasswordAsync(user, password) ? SignInResult.LockedOut : SignInResult.Failed;
        }

        return await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure: false);
    }
}
