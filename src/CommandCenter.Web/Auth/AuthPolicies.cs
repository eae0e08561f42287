namespace CommandCenter.Web.Auth;

internal static class AuthPolicies
{
    /// <summary>
    /// The HTTP API: sign-in (bearer) tokens only, so a browser's cookie can never spend a user's money cross-site; an
    /// integration key is refused with 403 (<see cref="IntegrationKeysRefused"/>).
    /// </summary>
    public const string Api = "Api";
    /// <summary>The message, conversation and agent APIs: a sign-in token or a user's integration key (<c>cc_…</c>).</summary>
    public const string ApiOrIntegrationKey = "ApiOrIntegrationKey";
    /// <summary>Admins' API: an admin's sign-in token; an integration key is refused with 403, as on <see cref="Api"/>.</summary>
    public const string ApiAdmin = "ApiAdmin";
    /// <summary>Admin pages of the UI (cookie).</summary>
    public const string Admin = "Admin";
}

internal sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Open self-registration (UI page and <c>POST /api/auth/register</c>); off by default: admins create accounts.</summary>
    public bool AllowSelfRegistration { get; set; }

    /// <summary>How often open pages (circuits) and sign-in cookies are checked against the account: a disabled one is shut out within this.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SessionRevalidationInterval { get; set; } = TimeSpan.FromSeconds(10);
}
