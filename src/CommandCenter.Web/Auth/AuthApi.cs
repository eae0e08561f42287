using System.Security.Claims;
using CommandCenter.Services.Data;
using CommandCenter.Web.Http;
using CommandCenter.Services.Users;
using CommandCenter.Services.Validation;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Auth;

internal static class AuthApi
{
    /// <summary>ASP.NET Identity's own endpoints under /api/auth: login, refresh and account management.</summary>
    public static IEndpointConventionBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        return app.MapGroup("/api/auth")
            .MapIdentityApi<ApplicationUser>()
            .AddEndpointFilter(async (context, next) =>
            {
                // Identity's request records carry no rules of ours: the same ones as an account's, checked here.
                foreach (var (field, value) in context.Arguments.SelectMany(Credentials))
                {
                    if (value is not null && (!StorableTextAttribute.IsStorable(value) || value.Length > NewUser.MaxEmailLength))
                    {
                        throw InvalidInputException.For(field, $"The {field} is at most {NewUser.MaxEmailLength} characters, without NUL.");
                    }
                }

                return await next(context);
            })
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (http.Request.Path.Value?.EndsWith("/register", StringComparison.OrdinalIgnoreCase) != true)
                {
                    return await next(context);
                }

                if (!http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.AllowSelfRegistration)
                {
                    return ApiProblems.Error(StatusCodes.Status403Forbidden, "Self-registration is disabled; ask an administrator for an account.");
                }

                // Identity creates the account; whoever registers themselves is an operator, as on the Register page.
                var result = await next(context);
                var outcome = result is INestedHttpResult nested ? nested.Result : result;
                if (outcome is IStatusCodeHttpResult { StatusCode: StatusCodes.Status200OK } && context.Arguments.OfType<RegisterRequest>().FirstOrDefault() is { } registered)
                {
                    var users = http.RequestServices.GetRequiredService<UserManager<ApplicationUser>>();
                    if (await users.FindByEmailAsync(registered.Email) is { } user)
                    {
                        await users.AddToRoleAsync(user, Roles.Operator);
                    }
                }

                return result;
            });
    }

    private static readonly string[] Unused = ["/api/auth/confirmEmail", "/api/auth/resendConfirmationEmail", "/api/auth/forgotPassword", "/api/auth/resetPassword", "/api/auth/manage"];

    /// <summary>
    /// Identity maps more than the product uses (no mail, no two-factor, admins reset passwords): those paths answer as
    /// paths that do not exist, before any authentication, at once and the same for every account.
    /// </summary>
    public static IApplicationBuilder UseUnusedIdentityEndpointsGone(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Unused.Any(unused => context.Request.Path.StartsWithSegments(unused, StringComparison.OrdinalIgnoreCase)))
        {
            await ApiProblems.Error(StatusCodes.Status404NotFound, "Not found.").ExecuteAsync(context);
            return;
        }

        await next(context);
    });

    private static IEnumerable<(string Field, string? Value)> Credentials(object? argument) => argument switch
    {
        LoginRequest login => [("email", login.Email), ("password", login.Password), ("twoFactorCode", login.TwoFactorCode)],
        RegisterRequest register => [("email", register.Email), ("password", register.Password)],
        _ => [],
    };

    /// <summary>Form posts of the Account pages.</summary>
    public static IEndpointConventionBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/Account");
        account.MapPost("/Logout", async (ClaimsPrincipal user, [FromServices] SignInManager<ApplicationUser> signInManager, [FromForm] string? returnUrl) =>
        {
            // A new security stamp ends this sign-in everywhere, a copy of its cookie included (checked every
            // Auth__SessionRevalidationInterval), as a password reset does.
            if (await signInManager.UserManager.GetUserAsync(user) is { } signedIn)
            {
                await signInManager.UserManager.UpdateSecurityStampAsync(signedIn);
            }

            await signInManager.SignOutAsync();
            var target = "/" + (returnUrl ?? "").TrimStart('/');
            return TypedResults.LocalRedirect(Components.Account.IdentityRedirectManager.IsLocal(target) ? "~" + target : "~/");
        });
        return account;
    }
}

internal sealed class NoEmailSender : IEmailSender<ApplicationUser>
{
    // No mail server: accounts are created confirmed by admins, and password resets go through an admin.
    public Task SendConfirmationLinkAsync(ApplicationUser user, string email, string confirmationLink) => Task.CompletedTask;
    public Task SendPasswordResetLinkAsync(ApplicationUser user, string email, string resetLink) => Task.CompletedTask;
    public Task SendPasswordResetCodeAsync(ApplicationUser user, string email, string resetCode) => Task.CompletedTask;
}
