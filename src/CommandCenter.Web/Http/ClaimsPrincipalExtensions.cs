using System.Security.Claims;

namespace CommandCenter.Web.Http;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The signed-in user's id; endpoints and pages that call this require authentication.</summary>
    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("No signed-in user.");

    /// <summary>Whose traces and usage the user may read: their own, or everyone's (null) for an administrator.</summary>
    public static string? VisibleOwnerId(this ClaimsPrincipal user) =>
        user.IsInRole(CommandCenter.Services.Users.Roles.Admin) ? null : user.UserId();
}
