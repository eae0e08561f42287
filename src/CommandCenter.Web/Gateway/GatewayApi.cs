using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommandCenter.Services.Gateway;
using CommandCenter.Services.IntegrationKeys;
using CommandCenter.Services.Models;
using CommandCenter.Web.IntegrationKeys;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Gateway;

/// <summary>
/// Anthropic's own API on Command Center, for clients that already speak it (the official SDKs, Claude Code):
/// <c>POST /v1/messages</c>, <c>POST /v1/messages/count_tokens</c>, <c>GET /v1/models</c>. Integration keys only
/// (<c>x-api-key</c> or <c>Authorization: Bearer</c>); every answer and refusal in Anthropic's shape.
/// </summary>
internal static class GatewayApi
{
    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<GatewayOptions>>().Value.Enabled)
        {
            return app;
        }

        // The key is checked here, not by an authorization policy, so that its refusal is Anthropic's 401.
        var v1 = app.MapGroup("/v1").AllowAnonymous();
        v1.MapPost("/messages", MessagesAsync);
        v1.MapPost("/messages/count_tokens", CountTokensAsync);
        v1.MapGet("/models", ListModelsAsync);
        v1.MapGet("/models/{id}", GetModelAsync);
        return app;
    }

    private static async Task MessagesAsync(HttpContext http, GatewayService gateway, IntegrationKeyStore keys, ILogger<GatewayService> logger)
    {
        if (await CallerAsync(http, keys, logger) is not { } caller || await BodyAsync(http) is not { } body)
        {
            return;
        }

        GatewayCall call;
        try
        {
            call = await gateway.StartAsync(caller, body, Headers(http), http.RequestAborted);
        }
        catch (GatewayRefusal refused)
        {
            await AnthropicErrors.WriteAsync(http.Response, refused.Status, refused.ErrorType, refused.Message, refused.RetryAfter);
            return;
        }

        await using (call)
        {
            var response = http.Response;
            response.StatusCode = call.StatusCode;
            response.ContentType = call.ContentType;
            if (call.RequestId is { } requestId)
            {
                response.Headers["request-id"] = requestId;
            }

            if (call.RetryAfter is { } retryAfter)
            {
                response.Headers.RetryAfter = retryAfter;
            }

            if (call.Streams)
            {
                response.Headers.CacheControl = "no-cache";
                response.Headers["X-Accel-Buffering"] = "no";
            }

            try
            {
                // The headers go now: a client sees the stream open as soon as Anthropic has opened it.
                await response.StartAsync(http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // Gone already: the call is still relayed (to nobody) and recorded.
            }

            await call.RelayAsync(response.Body, response.CompleteAsync, http.RequestAborted);
        }
    }

    private static async Task CountTokensAsync(HttpContext http, GatewayService gateway, IntegrationKeyStore keys, ILogger<GatewayService> logger)
    {
        if (await CallerAsync(http, keys, logger) is not { } caller || await BodyAsync(http) is not { } body)
        {
            return;
        }

        try
        {
            using var upstream = await gateway.CountTokensAsync(caller, body, Headers(http), http.RequestAborted);
            http.Response.StatusCode = (int)upstream.StatusCode;
            http.Response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/json";
            await upstream.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
        }
        catch (GatewayRefusal refused)
        {
            await AnthropicErrors.WriteAsync(http.Response, refused.Status, refused.ErrorType, refused.Message, refused.RetryAfter);
        }
    }

    /// <summary>The catalogue's callable models in Anthropic's list shape, paged by <c>after_id</c>, <c>before_id</c> and <c>limit</c> as Anthropic pages.</summary>
    private static async Task ListModelsAsync(HttpContext http, GatewayService gateway, IntegrationKeyStore keys, ILogger<GatewayService> logger)
    {
        if (await CallerAsync(http, keys, logger) is null)
        {
            return;
        }

        var query = http.Request.Query;
        var limit = query.TryGetValue("limit", out var asked) ? int.TryParse(asked, CultureInfo.InvariantCulture, out var n) ? n : -1 : 20;
        if (limit is < 1 or > 1000)
        {
            await AnthropicErrors.WriteAsync(http.Response, 400, "invalid_request_error", "limit: Input should be between 1 and 1000");
            return;
        }

        var models = await gateway.ModelsAsync(http.RequestAborted);
        var start = query["after_id"].ToString() is { Length: > 0 } after ? IndexOf(models, after) + 1 : 0;
        var stop = query["before_id"].ToString() is { Length: > 0 } before ? IndexOf(models, before) : models.Count;
        var page = models.Skip(start).Take(Math.Min(limit, Math.Max(0, stop - start))).ToList();
        await WriteJsonAsync(http.Response, new JsonObject
        {
            ["data"] = new JsonArray([.. page.Select(m => (JsonNode)Info(m))]),
            ["has_more"] = start + page.Count < stop,
            ["first_id"] = page.FirstOrDefault()?.Id,
            ["last_id"] = page.LastOrDefault()?.Id,
        });
    }

    private static async Task GetModelAsync(string id, HttpContext http, GatewayService gateway, IntegrationKeyStore keys, ILogger<GatewayService> logger)
    {
        if (await CallerAsync(http, keys, logger) is null)
        {
            return;
        }

        if ((await gateway.ModelsAsync(http.RequestAborted)).FirstOrDefault(m => m.IsNamed(id)) is { } model)
        {
            await WriteJsonAsync(http.Response, Info(model));
            return;
        }

        await AnthropicErrors.WriteAsync(http.Response, 404, "not_found_error", $"model: {id}");
    }

    private static int IndexOf(IReadOnlyList<ClaudeModel> models, string id) => models.Select((m, i) => (m, i)).FirstOrDefault(x => x.m.IsNamed(id), (null!, -1)).Item2;

    /// <summary>A model as Anthropic's Models API describes one.</summary>
    private static JsonObject Info(ClaudeModel model) => new()
    {
        ["type"] = "model",
        ["id"] = model.Id,
        ["display_name"] = model.DisplayName,
        ["created_at"] = (model.ReleasedOn ?? DateOnly.FromDateTime(DateTime.UnixEpoch)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z",
        ["max_input_tokens"] = model.ContextWindow,
        ["max_tokens"] = model.MaxOutputTokens,
    };

    private static async Task WriteJsonAsync(HttpResponse response, JsonNode json)
    {
        response.ContentType = "application/json";
        await response.WriteAsync(json.ToJsonString());
    }

    private static GatewayHeaders Headers(HttpContext http) => new(
        http.Request.Headers["anthropic-version"].ToString() is { Length: > 0 } version ? version : null,
        http.Request.Headers["anthropic-beta"].ToString() is { Length: > 0 } beta ? beta : null);

    /// <summary>The caller's integration key, from <c>x-api-key</c> or <c>Authorization: Bearer</c>; otherwise answers 401 and returns null.</summary>
    private static async Task<GatewayCaller?> CallerAsync(HttpContext http, IntegrationKeyStore keys, ILogger logger)
    {
        const string bearer = "Bearer ";
        var token = http.Request.Headers["x-api-key"].ToString();
        if (token.Length == 0 && http.Request.Headers.Authorization.ToString() is var authorization && authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
        {
            token = authorization[bearer.Length..].Trim();
        }

        var key = IntegrationKeyStore.LooksLikeKey(token) ? await keys.FindAsync(token, http.RequestAborted) : null;
        if (key is null)
        {
            await AnthropicErrors.WriteAsync(http.Response, 401, "authentication_error",
                token.Length == 0 ? "x-api-key header is required: a Command Center integration key (cc_…)." : "invalid x-api-key: not a Command Center integration key, or revoked.");
            return null;
        }

        IntegrationKeyUse.Note(keys, key, logger);
        return new GatewayCaller(key, http.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null);
    }

    /// <summary>The request's JSON object; otherwise answers 400 as Anthropic does and returns null.</summary>
    private static async Task<JsonObject?> BodyAsync(HttpContext http)
    {
        try
        {
            if (await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) is JsonObject body)
            {
                return body;
            }
        }
        catch (JsonException)
        {
            // Answered below.
        }

        await AnthropicErrors.WriteAsync(http.Response, 400, "invalid_request_error", "There was an issue with your request body: it is not a valid JSON object.");
        return null;
    }
}
