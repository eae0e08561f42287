using Microsoft.AspNetCore.HttpOverrides;

namespace CommandCenter.Web.Http;

internal sealed class ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Trust <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> from the proxy in front (TLS termination).</summary>
    public bool Enabled { get; set; }

    /// <summary>The proxies' networks (CIDR, e.g. <c>10.0.0.0/8</c>); none: any address, for an app only the proxy can reach.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>Headers every response carries, and what the proxy in front may tell us.</summary>
internal static class SecurityHeaders
{
    // Blazor Server and MudBlazor run from our own scripts (no eval, no inline script); MudBlazor sets inline styles,
    // the WebSocket is same-origin ('self' covers ws: and wss:), and replies never load remote images.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

    public static IServiceCollection AddForwardedHeadersFromSettings(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(ForwardedHeadersSettings.Section).Get<ForwardedHeadersSettings>() ?? new();
        return services.Configure<ForwardedHeadersOptions>(options =>
        {
            // The client's address and scheme; the host is the one the proxy forwards in Host.
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var network in settings.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }

            if (settings.KnownNetworks.Count == 0)
            {
                // Any proxy: nothing but the proxy can reach the app. Known networks also allow a chain of them.
                options.ForwardLimit = 1;
            }
            else
            {
                options.ForwardLimit = null;
            }
        });
    }

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (app.Configuration.GetSection(ForwardedHeadersSettings.Section).Get<ForwardedHeadersSettings>()?.Enabled == true)
        {
            app.UseForwardedHeaders();
        }

        // Set as the response starts, so that error pages and problem responses (which clear the headers set before) carry them too.
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                var path = context.Request.Path;
                if (path.StartsWithSegments("/api") || path.StartsWithSegments("/v1"))
                {
                    // Answers carry users' data and tokens; SSE responses set their own no-cache.
                    if (string.IsNullOrEmpty(headers.CacheControl))
                    {
                        headers.CacheControl = "no-store";
                    }
                }
                else
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                    if (path.StartsWithSegments("/Account"))
                    {
                        headers.CacheControl = "no-store";
                    }
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });
        return app;
    }
}
