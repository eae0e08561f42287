using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Streaming;

internal sealed class MessageRateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Messages one user may start per minute over the API; each is a paid upstream call.</summary>
    [Range(1, 100_000)]
    public int MessagesPerMinute { get; set; } = 60;
}

internal static class MessageRateLimit
{
    public const string Policy = "messages";

    /// <summary>A fixed window per signed-in user (per address for anonymous callers, who are refused anyway).</summary>
    public static IServiceCollection AddMessageRateLimit(this IServiceCollection services)
    {
        services.AddOptions<MessageRateLimitOptions>().BindConfiguration(MessageRateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context =>
            {
                var limit = context.RequestServices.GetRequiredService<IOptions<MessageRateLimitOptions>>().Value.MessagesPerMinute;
                var partition = context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.Connection.RemoteIpAddress?.ToString() ?? "anonymous";
                return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limit,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await ApiProblems.Error(StatusCodes.Status429TooManyRequests, "Too many messages; wait a moment and try again.").ExecuteAsync(http);
            };
        });
    }
}
