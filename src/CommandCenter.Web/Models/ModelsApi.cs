using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Models;
using CommandCenter.Services.Pricing;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Models;

/// <summary>A model of the catalogue with the price in effect for it (null: agents cannot use it until one is added).</summary>
public sealed record ModelView(
    string Id, string DisplayName, IReadOnlyList<string> Aliases, string? Line, string Status, DateOnly? ReleasedOn, DateTimeOffset? DeprecatedAt,
    DateTimeOffset? RetiresAt, string? Replacement, int ContextWindow, int MaxOutputTokens, ModelCapabilities Capabilities, DateTimeOffset? RefreshedAt,
    PriceView? Price);

internal static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/models").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/", ListModels);
        api.MapPost("/refresh", RefreshModels).RequireAuthorization(AuthPolicies.ApiAdmin);
        return api;
    }

    private static async Task<Ok<IEnumerable<ModelView>>> ListModels(ModelCatalog models, PriceBook prices, TimeProvider clock, CancellationToken ct)
    {
        var current = (await prices.ListCurrentAsync(ct)).ToDictionary(p => p.Model);
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await models.ListAsync(ct)).Select(m => new ModelView(
            m.Id, m.DisplayName, m.Aliases, m.Line, m.StatusAt(now), m.ReleasedOn, m.DeprecatedAt, m.RetiresAt, m.Replacement, m.ContextWindow,
            m.MaxOutputTokens, m.Capabilities, m.RefreshedAt, current.TryGetValue(m.Id, out var price) ? PriceBook.View(price) : null)));
    }

    /// <summary>Status, limits and thinking types from Anthropic's Models API, read with the admin's own Anthropic key.</summary>
    private static async Task<Results<Ok<ModelRefresh>, ProblemHttpResult>> RefreshModels(ModelCatalog models, HttpContext http, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await models.RefreshAsync(http.User.UserId(), ct));
        }
        catch (AnthropicApiException e)
        {
            return ApiProblems.Error(StatusCodes.Status502BadGateway, $"Anthropic did not list its models: {e.StatusCode} ({e.ErrorType}): {e.UpstreamMessage}",
                new Dictionary<string, object?> { ["upstreamStatus"] = e.StatusCode, ["upstreamErrorType"] = e.ErrorType });
        }
    }
}
