using System.Security.Claims;
using CommandCenter.Services.Users;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Users;

internal static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").RequireAuthorization(AuthPolicies.ApiAdmin);
        api.MapGet("/", async (UserAccounts accounts, CancellationToken ct) => TypedResults.Ok(await accounts.ListAsync(ct)));
        api.MapPost("/", CreateUser);
        api.MapPost("/{id}/disable", (string id, ClaimsPrincipal caller, UserAccounts accounts) => SetDisabled(id, true, caller, accounts));
        api.MapPost("/{id}/enable", (string id, ClaimsPrincipal caller, UserAccounts accounts) => SetDisabled(id, false, caller, accounts));
        api.MapPut("/{id}/role", SetRole);
        api.MapPost("/{id}/password", ResetPassword);
        return api;
    }

    private static async Task<Created<UserView>> CreateUser(NewUser request, UserAccounts accounts)
    {
        var user = await accounts.CreateAsync(request);
        return TypedResults.Created($"/api/users/{user.Id}", user);
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> SetRole(string id, RoleChange change, ClaimsPrincipal caller, UserAccounts accounts) =>
        await accounts.SetRoleAsync(caller.UserId(), id, change) is { } user ? TypedResults.Ok(user) : NotFound(id);

    private static async Task<Results<NoContent, ProblemHttpResult>> ResetPassword(string id, PasswordReset reset, UserAccounts accounts) =>
        await accounts.ResetPasswordAsync(id, reset) ? TypedResults.NoContent() : NotFound(id);

    private static ProblemHttpResult NotFound(string id) => ApiProblems.Error(StatusCodes.Status404NotFound, $"User with ID {id} not found");

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> SetDisabled(string id, bool disabled, ClaimsPrincipal caller, UserAccounts accounts)
    {
        return await accounts.SetDisabledAsync(caller.UserId(), id, disabled) is { } user
            ? TypedResults.Ok(user)
            : NotFound(id);
    }
}
