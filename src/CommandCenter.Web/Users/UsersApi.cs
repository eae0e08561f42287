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
        return api;
    }

    private static async Task<Created<UserView>> CreateUser(NewUser request, UserAccounts accounts)
    {
        var user = await accounts.CreateAsync(request);
        return TypedResults.Created($"/api/users/{user.Id}", user);
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> SetDisabled(string id, bool disabled, ClaimsPrincipal caller, UserAccounts accounts)
    {
        return await accounts.SetDisabledAsync(caller.UserId(), id, disabled) is { } user
            ? TypedResults.Ok(user)
            : ApiProblems.Error(StatusCodes.Status404NotFound, $"User with ID {id} not found");
    }
}
