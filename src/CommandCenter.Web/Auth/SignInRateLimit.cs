using System.Threading.RateLimiting;
using CommandCenter.Services.Streaming;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Auth;

/// <summary>
/// Sign-in attempts per client address and minute, on both ways in (<c>POST /api/auth/login</c> and the sign-in page's
/// form post), with the built-in rate limiter; beyond it, 429 with <c>Retry-After</c>.
/// </summary>
internal static class SignInRateLimit
{
    public static IServiceCollection AddSignInRateLimit(this IServiceCollection services) => services.AddRateLimiter(limiter =>
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            if (!IsSignIn(context))
            {
                return RateLimitPartition.GetNoLimiter("");
            }

            var limit = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.SignInsPerMinute;
            // A sliding window: attempts count for a full minute whenever they were made, so a burst cannot straddle a reset.
            return RateLimitPartition.GetSlidingWindowLimiter(ClientOf(context), _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = TimeSpan.FromMinutes(1),
                SegmentsPerWindow = 6,
                QueueLimit = 0,
            });
        });
        limiter.OnRejected = async (context, ct) =>
        {
            var http = context.HttpContext;
            RetryAfter.Set(http.Response, context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(10));
            const string message = "Too many sign-in attempts from this address; wait a minute and try again.";
            if (http.Request.Path.StartsWithSegments("/api"))
            {
                await ApiProblems.Error(StatusCodes.Status429TooManyRequests, message).ExecuteAsync(http);
            }
            else
            {
                http.Response.ContentType = "text/html; charset=utf-8";
                await http.Response.WriteAsync($"<!doctype html><title>Too many attempts</title><p>{message} <a href=\"/Account/Login\">Back to sign-in</a></p>", ct);
            }
        };
    });

    /// <summary>A password sign-in, by the endpoint routing chose, so that no spelling of the path (a trailing slash, say) slips by.</summary>
    private static bool IsSignIn(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method)
        && context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern }
        && pattern.Trim('/') is var route
        && (route.Equals("api/auth/login", StringComparison.OrdinalIgnoreCase) || route.Equals("Account/Login", StringComparison.OrdinalIgnoreCase));

    /// <summary>The client's address; for IPv6 its /64, which one client holds whole.</summary>
    private static string ClientOf(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6, IsIPv4MappedToIPv6: false } v6 => Convert.ToHexString(v6.GetAddressBytes(), 0, 8),
        var address => address.MapToIPv4().ToString(),
    };
}
