using CommandCenter.Services.Budgets;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;

namespace CommandCenter.Web.Budgets;

internal static class BudgetsApi
{
    public static RouteGroupBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/budgets").RequireAuthorization(AuthPolicies.ApiAdmin);
        api.MapGet("/", async (BudgetBook budgets, CancellationToken ct) => TypedResults.Ok(await budgets.ListAsync(ct)));
        api.MapPut("/{scope}/{subjectId}", async Task<IResult> (string scope, string subjectId, BudgetInput input, BudgetBook budgets, CancellationToken ct) =>
            await budgets.SetAsync(scope, subjectId, input, ct) is { } view
                ? TypedResults.Ok(view)
                : ApiProblems.Error(StatusCodes.Status404NotFound, $"There is no {scope} with ID {subjectId}."));
        api.MapDelete("/{scope}/{subjectId}", async Task<IResult> (string scope, string subjectId, BudgetBook budgets, CancellationToken ct) =>
            await budgets.DeleteAsync(scope, subjectId, ct)
                ? TypedResults.NoContent()
                : ApiProblems.Error(StatusCodes.Status404NotFound, $"There is no budget for {scope} {subjectId}."));
        return api;
    }
}
