using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using CommandCenter.Services.Data;

namespace CommandCenter.Web.Components.Account;

internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public const string StatusCookieName = "Identity.StatusMessage";

    private static readonly CookieBuilder StatusCookieBuilder = new()
    {
        SameSite = SameSiteMode.Strict,
        HttpOnly = true,
        IsEssential = true,
        MaxAge = TimeSpan.FromSeconds(5),
    };

    public void RedirectTo(string? uri)
    {
        // Prevent open redirects: only a path of this site; anything else (another host, //host, /\host, a scheme such as
        // javascript:) goes home. (The template made those base-relative, which throws for another host: a 500.)
        navigationManager.NavigateTo(IsLocal(uri ??= "") ? uri : "/");
    }

    internal static bool IsLocal(string uri)
    {
        if (uri.Contains('\\') || uri.Any(char.IsControl))
        {
            return false;
        }

        return uri.StartsWith('/')
            ? !uri.StartsWith("//", StringComparison.Ordinal)
            : uri.Length == 0 || (Uri.IsWellFormedUriString(uri, UriKind.Relative) && !uri.Contains(':'));
    }

    public void RedirectToWithStatus(string uri, string message, HttpContext context)
    {
        context.Response.Cookies.Append(StatusCookieName, message, StatusCookieBuilder.Build(context));
        RedirectTo(uri);
    }

    private string CurrentPath => navigationManager.ToAbsoluteUri(navigationManager.Uri).GetLeftPart(UriPartial.Path);

    public void RedirectToCurrentPageWithStatus(string message, HttpContext context)
        => RedirectToWithStatus(CurrentPath, message, context);
}
