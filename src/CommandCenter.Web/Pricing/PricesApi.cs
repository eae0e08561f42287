using CommandCenter.Services.Pricing;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Pricing;

internal static class PricesApi
{
    public static RouteGroupBuilder MapPricesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/prices").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/", async (PriceBook prices, CancellationToken ct) => TypedResults.Ok((await prices.ListCurrentAsync(ct)).Select(PriceBook.View)));
        api.MapPost("/", AddPrice).RequireAuthorization(AuthPolicies.ApiAdmin);
        api.MapGet("/tools", async (PriceBook prices, CancellationToken ct) => TypedResults.Ok(await prices.ListToolPricesAsync(ct)));
        api.MapPost("/tools", async (ToolPriceInput input, PriceBook prices, CancellationToken ct) =>
            TypedResults.Created($"/api/prices/tools", await prices.AddToolPriceAsync(input, ct))).RequireAuthorization(AuthPolicies.ApiAdmin);
        return api;
    }

    private static async Task<Created<PriceView>> AddPrice(PriceInput input, PriceBook prices, CancellationToken ct)
    {
        var price = await prices.AddAsync(input, ct);
        return TypedResults.Created($"/api/prices/{price.Id}", price);
    }
}
