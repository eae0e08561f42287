using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using CommandCenter.Services.IntegrationKeys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.IntegrationKeys;

/// <summary>
/// <c>Authorization: Bearer cc_…</c>: a user's integration key signs its requests in as that user, with no role, for the
/// endpoints whose policy names this scheme (<see cref="Auth.AuthPolicies.ApiOrIntegrationKey"/>). Other bearer tokens are
/// left to the Identity bearer scheme.
/// </summary>
internal sealed partial class IntegrationKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder, IntegrationKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "IntegrationKey";
    public const string KeyIdClaim = "cc:integration-key";
    public const string RateClaim = "cc:integration-key-rate";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        const string bearer = "Bearer ";
        var header = Request.Headers.Authorization.ToString();
        var token = header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? header[bearer.Length..].Trim() : "";
        if (!IntegrationKeyStore.LooksLikeKey(token))
        {
            return AuthenticateResult.NoResult();
        }

        var key = await keys.FindAsync(token, Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        IntegrationKeyUse.Note(keys, key, Logger);
        List<Claim> claims = [new(ClaimTypes.NameIdentifier, key.OwnerId), new(KeyIdClaim, key.Id)];
        if (key.MessagesPerMinute is { } rate)
        {
            claims.Add(new(RateClaim, rate.ToString(CultureInfo.InvariantCulture)));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }
}

/// <summary>Notes that a key was used, off the request's path: at most one small write a minute per key, and a failed one only loses a timestamp.</summary>
internal static partial class IntegrationKeyUse
{
    public static void Note(IntegrationKeyStore keys, IntegrationKeyIdentity key, ILogger logger) => _ = NoteAsync(keys, key, logger);

    private static async Task NoteAsync(IntegrationKeyStore keys, IntegrationKeyIdentity key, ILogger logger)
    {
        try
        {
            await keys.NoteUsedAsync(key, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogNoteFailed(logger, e, key.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not note the last use of integration key {KeyId}")]
    private static partial void LogNoteFailed(ILogger logger, Exception exception, string keyId);
}

internal static class IntegrationKeyClaims
{
    /// <summary>The integration key this request came with, or null for a sign-in token or the page.</summary>
    public static IntegrationKeyIdentity? IntegrationKey(this ClaimsPrincipal user) =>
        user.FindFirstValue(IntegrationKeyAuthenticationHandler.KeyIdClaim) is { } id
            ? new IntegrationKeyIdentity(id, Http.ClaimsPrincipalExtensions.UserId(user),
                user.FindFirstValue(IntegrationKeyAuthenticationHandler.RateClaim) is { } rate ? int.Parse(rate, CultureInfo.InvariantCulture) : null, null)
            : null;
}
