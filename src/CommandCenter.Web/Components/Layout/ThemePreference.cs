namespace CommandCenter.Web.Components.Layout;

/// <summary>Light or dark, remembered in a cookie so that even the first, server-rendered paint uses it.</summary>
internal static class ThemePreference
{
    public const string CookieName = "cc-theme";
    public const string CascadeName = "DarkMode";

    public static bool IsDark(HttpContext context) => context.Request.Cookies[CookieName] == "dark";
}
