namespace CommandCenter.Web.Http;

/// <summary>
/// Browser frontends on other origins (<c>Cors__AllowedOrigins__N</c>, none by default) may call <c>/api</c> with a
/// bearer token or an integration key: any method, the <c>Authorization</c>, <c>Content-Type</c> and
/// <c>Last-Event-ID</c> headers (so a stream can be resumed), and <c>Retry-After</c> readable. No cookies are ever
/// accepted cross-origin. Pages are never opened to other origins.
/// </summary>
internal static class CrossOriginApi
{
    private const string Policy = "Api";

    public static IServiceCollection AddCrossOriginApi(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        return services.AddCors(cors => cors.AddPolicy(Policy, policy => policy
            .WithOrigins([.. origins.Select(o => o.TrimEnd('/'))])
            .WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
            .WithHeaders("Authorization", "Content-Type", "Last-Event-ID")
            .WithExposedHeaders("Retry-After")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
    }

    /// <summary>After routing, before authentication: a preflight is answered here and never needs a token.</summary>
    public static IApplicationBuilder UseCrossOriginApi(this IApplicationBuilder app) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api => api.UseCors(Policy));
}
