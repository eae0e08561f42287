using CommandCenter.Services.Data;
using CommandCenter.Services.Users;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using CommandCenter.Web.IntegrationKeys;
using CommandCenter.Web.Components.Account;
using CommandCenter.Web.Health;
using CommandCenter.Web.Streaming;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace CommandCenter.Web;

internal static class WebServicesExtensions
{
    /// <summary>
    /// The largest message a page may send over its circuit. The largest a page sends is a chat message (Chat/MessageBox:
    /// at most SendMessageRequest.MaxMessageLength = 32,000 UTF-16 characters, sent once as one JSON-encoded argument):
    /// at worst 6 bytes a character (a control character or lone surrogate escaped as \uXXXX; any other character is at most
    /// 3 bytes of UTF-8), so 192,000 bytes, plus a few hundred bytes of call and MessagePack framing. The agent dialog's
    /// system prompt (20,000 characters, bound as it is typed, so sent twice: the value and Blazor's copy of the field) is at
    /// most 240,000 bytes. 256 KiB covers both; SignalR's default, 32 KiB, dropped the connection at 16,384 characters.
    /// </summary>
    internal const long CircuitMaximumReceiveMessageSize = 256 * 1024;

    /// <summary>Identity (cookies for the UI, bearer tokens for the API), the Blazor UI and the HTTP API's plumbing.</summary>
    public static WebApplicationBuilder AddWebServices(this WebApplicationBuilder builder)
    {
        // Serves the packages' static files (MudBlazor's CSS and JS) from a build in any environment, as 'dotnet run'
        // in Production does; a published app has them in wwwroot and this finds nothing to add.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = CircuitMaximumReceiveMessageSize);
        services.AddMudServices();
        services.AddSingleton<Chat.MarkdownRenderer>();

        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddBearerToken(IdentityConstants.BearerScheme)
            .AddScheme<AuthenticationSchemeOptions, IntegrationKeyAuthenticationHandler>(IntegrationKeyAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        // Every API policy knows integration keys, so that one is told apart from no sign-in: a key where keys may not go is a
        // 403 that says so (IntegrationKeysRefused), an unknown or revoked one a 401.
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Api, policy => policy
                .AddAuthenticationSchemes(IdentityConstants.BearerScheme, IntegrationKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser()
                .AddRequirements(new ActiveAccountRequirement(), new IntegrationKeysRefused()))
            .AddPolicy(AuthPolicies.ApiOrIntegrationKey, policy => policy
                .AddAuthenticationSchemes(IdentityConstants.BearerScheme, IntegrationKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser()
                .AddRequirements(new ActiveAccountRequirement()))
            .AddPolicy(AuthPolicies.ApiAdmin, policy => policy
                .AddAuthenticationSchemes(IdentityConstants.BearerScheme, IntegrationKeyAuthenticationHandler.SchemeName).RequireRole(Roles.Admin)
                .AddRequirements(new ActiveAccountRequirement(), new IntegrationKeysRefused()))
            .AddPolicy(AuthPolicies.Admin, policy => policy.RequireRole(Roles.Admin));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, IntegrationKeysRefusedResultHandler>();

        services.AddIdentityCore<ApplicationUser>(options =>
            {
                options.SignIn.RequireConfirmedAccount = false;
                options.User.RequireUniqueEmail = true;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<CommandCenterDbContext>()
            .AddSignInManager<UniformSignInManager>()
            .AddDefaultTokenProviders();
        services.AddSingleton<IEmailSender<ApplicationUser>, NoEmailSender>();
        services.AddScoped<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, ActiveAccountHandler>();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Gateway.GatewayOptions>().BindConfiguration(Gateway.GatewayOptions.Section).ValidateOnStart();
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<AuthOptions>>((stamps, auth) => stamps.ValidationInterval = auth.Value.SessionRevalidationInterval);

        services.AddProblemDetails(options => options.CustomizeProblemDetails = ApiProblems.AddErrorString);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddSignInRateLimit();
        services.AddForwardedHeadersFromSettings(builder.Configuration);
        services.AddCrossOriginApi(builder.Configuration);

        services.AddHostedService<WarmUp>();
        services.AddCommandCenterHealthChecks();
        return builder;
    }

    public static WebApplication UseWebPipeline(this WebApplication app)
    {
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        // The API answers with problem details, whatever goes wrong; the gateway (/v1) in Anthropic's error shape; pages get
        // the error and not-found pages.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api => api.UseExceptionHandler().UseStatusCodePages());
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/v1"), gateway => Gateway.AnthropicErrors.UseAnthropicErrors(gateway));
        app.UseWhen(
            context => !context.Request.Path.StartsWithSegments("/api") && !context.Request.Path.StartsWithSegments("/v1"),
            ui => ui.UseExceptionHandler("/Error", createScopeForErrors: true).UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        // Routing after the status code pages, so that a re-executed request (a page's 404 becoming /not-found) is routed
        // again; without it the not-found page answered an empty 404.
        Auth.AuthApi.UseUnusedIdentityEndpointsGone(app);
        app.UseRouting();
        app.UseCrossOriginApi();
        // Explicitly after the status code pages, so the API's 401 and 403 get a problem-details body too.
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }
}
