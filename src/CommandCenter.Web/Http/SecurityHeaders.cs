using Microsoft.AspNetCore.HttpOverrides;

namespace CommandCenter.Web.Http;

internal sealed class ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Trust <c>X-Forwarded-For/Proto/Host</c> from the proxy in front (TLS termination); only where clients cannot reach the app directly.</summary>
    public bool Enabled { get; set; }
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
        services.Configure<ForwardedHeadersSettings>(configuration.GetSection(ForwardedHeadersSettings.Section));
        return services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The proxy's address is not known in advance; the setting says the app is reachable only through it.
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
        });
    }

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (app.Configuration.GetSection(ForwardedHeadersSettings.Section).Get<ForwardedHeadersSettings>()?.Enabled == true)
        {
            app.UseForwardedHeaders();
        }

        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            var path = context.Request.Path;
            if (path.StartsWithSegments("/api"))
            {
                // Answers carry users' data and tokens; SSE responses set their own no-cache.
                context.Response.OnStarting(static state =>
                {
                    var response = (HttpResponse)state;
                    if (string.IsNullOrEmpty(response.Headers.CacheControl))
                    {
                        response.Headers.CacheControl = "no-store";
                    }

                    return Task.CompletedTask;
                }, context.Response);
            }
            else
            {
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                if (path.StartsWithSegments("/Account"))
                {
                    headers.CacheControl = "no-store";
                }
            }

            return next(context);
        });
        return app;
    }
}
