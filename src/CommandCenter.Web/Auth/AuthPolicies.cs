namespace CommandCenter.Web.Auth;

internal static class AuthPolicies
{
    /// <summary>The HTTP API: bearer tokens only, so a browser's cookie can never spend a user's money cross-site.</summary>
    public const string Api = "Api";
    public const string ApiAdmin = "ApiAdmin";
    /// <summary>Admin pages of the UI (cookie).</summary>
    public const string Admin = "Admin";
}

internal sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Open self-registration (UI page and <c>POST /api/auth/register</c>); off by default: admins create accounts.</summary>
    public bool AllowSelfRegistration { get; set; }
}
