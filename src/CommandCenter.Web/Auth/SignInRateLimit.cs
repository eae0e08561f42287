using System.Globalization;
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
            if (!IsSignIn(context.Request))
            {
                return RateLimitPartition.GetNoLimiter("");
            }

            var limit = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.SignInsPerMinute;
            return RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            });
        });
        limiter.OnRejected = async (context, ct) =>
        {
            var http = context.HttpContext;
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
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

    private static bool IsSignIn(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && (request.Path.Equals("/api/auth/login", StringComparison.OrdinalIgnoreCase) || request.Path.Equals("/Account/Login", StringComparison.OrdinalIgnoreCase));
}
