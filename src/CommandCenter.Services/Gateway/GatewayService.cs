using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.Data;
using CommandCenter.Services.IntegrationKeys;
using CommandCenter.Services.Models;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;
using CommandCenter.Services.Traces;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Gateway;

/// <summary>Who calls the gateway: an integration key (its owner's Anthropic key is used upstream) and the client's user agent.</summary>
public sealed record GatewayCaller(IntegrationKeyIdentity Key, string? UserAgent);

/// <summary>The headers a gateway client sends that Anthropic reads: passed on as they came.</summary>
public sealed record GatewayHeaders(string? Version, string? Beta);

/// <summary>
/// The Anthropic-compatible gateway: clients that speak Anthropic's API (its SDKs, Claude Code) call Claude through
/// Command Center with an integration key, and every call is a reply like the chat's — its model checked, priced by
/// class, reserved against the owner's, the key's and (for <c>agent:</c> models) the agent's budgets, rate-limited per
/// key, traced (<c>sessionType</c> gateway, with the key and the client's user agent) and settled through client
/// disconnects and database outages. The request goes upstream as the client wrote it, in one call.
/// </summary>
public sealed partial class GatewayService(
    IDbContextFactory<CommandCenterDbContext> dbFactory,
    AnthropicKeyVault keys,
    ModelCatalog models,
    PriceBook prices,
    BudgetBook budgets,
    AnthropicClient anthropic,
    ReplyRecorder recorder,
    LiveReplies live,
    ReplyLimits limits,
    InstanceLease instance,
    IOptions<AnthropicOptions> anthropicOptions,
    TimeProvider clock,
    ILogger<GatewayService> logger)
{
    /// <summary>
    /// Checks, prices and reserves the call, then opens it upstream. The returned call holds Anthropic's answer (a
    /// refusal included: it passes through as it came) and relays it.
    /// </summary>
    /// <exception cref="GatewayRefusal">Command Center refuses the call before anything is sent.</exception>
    public async Task<GatewayCall> StartAsync(GatewayCaller caller, JsonObject body, GatewayHeaders headers, CancellationToken ct)
    {
        var (requested, maxTokens) = GatewayBody.Require(body);
        if (live.IsDraining)
        {
            throw new GatewayRefusal(503, "api_error", "The server is shutting down; try again in a moment.") { RetryAfter = TimeSpan.FromSeconds(5) };
        }

        var userId = caller.Key.OwnerId;
        var started = clock.GetTimestamp();
        var reservation = Refused(() => live.Reserve(userId, null, limits.MaxLiveRepliesPerUser));
        ReplyRows? rows = null;
        try
        {
            var now = clock.GetUtcNow();
            Plan plan;
            try
            {
                // Nothing is written until the budget claim (the plan's last step), which is one transaction: a busy database is waited for.
                plan = await DatabaseFailures.WaitWhileBusyAsync(
                    () => PlanAsync(caller, body, requested, maxTokens, now, ct), DatabaseFailures.BusyWait, clock, e => LogWaitingForDatabase(logger, DatabaseFailures.Describe(e)), ct);
                rows = plan.Rows;
            }
            catch (StreamStartException e)
            {
                throw Translate(e);
            }
            catch (BudgetExceededException e)
            {
                throw new GatewayRefusal(402, "billing_error", e.Message);
            }
            catch (Exception e) when (DatabaseFailures.IsTransient(e) && !ct.IsCancellationRequested)
            {
                throw new GatewayRefusal(503, "api_error", "The database is unavailable; try again in a moment.") { RetryAfter = TimeSpan.FromSeconds(5) };
            }

            // Counted only now, so that refusals do not use up the key's allowance.
            Refused(() => limits.TakeMessage(userId, caller.Key));
            LogStarted(logger, rows.Trace.Id, caller.Key.Id, rows.Session.ModelUsed, GatewayBody.Streams(plan.Body));
            HttpResponseMessage upstream;
            try
            {
                upstream = await anthropic.SendAsIsAsync(plan.AnthropicKey, "v1/messages", plan.Body, headers.Version, Beta(headers.Beta, plan.Beta), CancellationToken.None);
            }
            catch (AnthropicApiException e)
            {
                var error = ReplyRecorder.RefusalError(rows.Session.ModelUsed, e);
                if (!await recorder.RecordRefusalAsync(rows, e, error))
                {
                    await recorder.ReleaseChargesAsync(rows);
                }

                throw new GatewayRefusal(e.StatusCode, "api_error", error);
            }

            var counter = new OutputTokenCounter(
                (text, token) => anthropic.CountTokensAsync(plan.AnthropicKey, GatewayBody.CountRequestWith(plan.Body, text), token), logger);
            return new GatewayCall(upstream, GatewayBody.Streams(plan.Body) && upstream.IsSuccessStatusCode, rows, recorder, anthropic, counter,
                reservation.Dispose, live.RecordingAbandoned, clock, started, logger);
        }
        catch
        {
            if (rows is not null && rows.Trace.Status == TraceStatus.Running && rows.Charges.Count > 0)
            {
                await recorder.ReleaseChargesAsync(rows);
            }

            reservation.Dispose();
            throw;
        }
    }

    /// <summary><c>POST /v1/messages/count_tokens</c>, passed on with the owner's key (free, not traced); an <c>agent:</c> model counts as the agent's request.</summary>
    /// <exception cref="GatewayRefusal">The request is refused before it is sent.</exception>
    public async Task<HttpResponseMessage> CountTokensAsync(GatewayCaller caller, JsonObject body, GatewayHeaders headers, CancellationToken ct)
    {
        var (requested, _) = GatewayBody.Require(body, countOnly: true);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var apiKey = await OwnersKeyAsync(db, caller.Key.OwnerId, ct);
        string? beta = null;
        if (await AgentNamedAsync(db, requested, ct) is { } agent)
        {
            (body, beta) = GatewayBody.WithAgent(body, agent, (await models.FindAsync(db, agent.Model, ct))?.Capabilities, anthropicOptions.Value);
            // count_tokens takes no max_tokens, stream or output_config.
            body.Remove("max_tokens");
            body.Remove("output_config");
        }

        try
        {
            return await anthropic.SendAsIsAsync(apiKey, "v1/messages/count_tokens", body, headers.Version, Beta(headers.Beta, beta), ct);
        }
        catch (AnthropicApiException e)
        {
            throw new GatewayRefusal(e.StatusCode, "api_error", e.UpstreamMessage);
        }
    }

    /// <summary>The models a client may name: the catalogue's callable ones (active, legacy and deprecated), newest first.</summary>
    public async Task<IReadOnlyList<ClaudeModel>> ModelsAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return [.. (await models.ListAsync(ct)).Where(m => m.StatusAt(now) != ModelStatus.Retired).OrderByDescending(m => m.ReleasedOn).ThenBy(m => m.Id, StringComparer.Ordinal)];
    }

    /// <summary>The call to make and the rows it will write, its budget charges already reserved.</summary>
    /// <remarks>A class, not a record: a record's generated ToString would print the key.</remarks>
    private sealed class Plan(string anthropicKey, JsonObject body, string? beta, ReplyRows rows)
    {
        public string AnthropicKey { get; } = anthropicKey;
        public JsonObject Body { get; } = body;
        public string? Beta { get; } = beta;
        public ReplyRows Rows { get; } = rows;
    }

    private async Task<Plan> PlanAsync(GatewayCaller caller, JsonObject body, string requested, int maxTokens, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var apiKey = await OwnersKeyAsync(db, caller.Key.OwnerId, ct);
        var agentId = ReplyRows.GatewayAgentId;
        string? beta = null;
        var model = requested;
        if (await AgentNamedAsync(db, requested, ct) is { } agent)
        {
            (body, beta) = GatewayBody.WithAgent(body, agent, (await models.FindAsync(db, agent.Model, ct))?.Capabilities, anthropicOptions.Value);
            (agentId, model) = (agent.Id, agent.Model);
        }

        // A retired model is refused here, in words, rather than by Anthropic's bare 404.
        if (await models.FindAsync(db, model, ct) is { } known && known.StatusAt(now) == ModelStatus.Retired)
        {
            throw GatewayRefusal.Invalid(
                $"model: {model} ({known.DisplayName}) was retired{(known.RetiresAt is { } on ? $" on {on:yyyy-MM-dd}" : "")}"
                + (known.Replacement is { } replacement ? $"; use {replacement} instead." : "."));
        }

        var price = await prices.FindCurrentAsync(db, model, ct)
            ?? throw GatewayRefusal.Invalid($"model: {model} has no price in Command Center, so its cost could not be recorded; an admin must add one.");
        var webSearch = await prices.FindToolPriceAsync(db, ToolPrice.WebSearch, ct);
        var worstCase = BudgetBook.WorstCase(GatewayBody.PromptCharacters(body), maxTokens, price, GatewayBody.MaxSearches(body), webSearch?.PerThousandRequests ?? 0m);
        // Before Anthropic is called, for the trace's id, so that the rows are made with their charges (as a chat reply's are).
        var traceId = Ids.New();
        var charges = await budgets.ReserveAsync(traceId, caller.Key.OwnerId, agentId, caller.Key.Id, worstCase, now, ct);
        var rows = ReplyRows.ForGateway(caller.Key.OwnerId, agentId, model, price, GatewayBody.Instruction(body), instance.Key, now, caller.Key.Id,
            webSearch?.PerThousandRequests ?? 0m, caller.UserAgent is { Length: > 512 } agentString ? agentString[..512] : caller.UserAgent, traceId, charges);
        return new Plan(apiKey, body, beta, rows);
    }

    /// <summary>The key's owner's Anthropic key; an owner disabled, or without one, is refused.</summary>
    private async Task<string> OwnersKeyAsync(CommandCenterDbContext db, string ownerId, CancellationToken ct)
    {
        (bool Active, string? Key, DateTimeOffset KeyVersion) owner;
        try
        {
            owner = await keys.RevealAsync(db, ownerId, clock.GetUtcNow(), ct);
        }
        catch (CryptographicException)
        {
            owner = (true, null, default);
        }

        return owner switch
        {
            { Active: false } => throw new GatewayRefusal(403, "permission_error", "The account this key belongs to is disabled."),
            { Key: null } => throw new GatewayRefusal(403, "permission_error",
                "The account this key belongs to has no Anthropic API key configured in Command Center."),
            { Key: { } key } => key,
        };
    }

    /// <summary>The agent an <c>agent:name</c> model names (null for a plain model); an unknown or inactive one is refused.</summary>
    private static async Task<Agent?> AgentNamedAsync(CommandCenterDbContext db, string model, CancellationToken ct)
    {
        if (!model.StartsWith(GatewayBody.AgentPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var name = model[GatewayBody.AgentPrefix.Length..].Trim();
        var agent = await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Name.ToLower() == name.ToLower(), ct)
            ?? throw new GatewayRefusal(404, "not_found_error", $"model: there is no agent named '{name}'.");
        return agent.IsActive ? agent : throw GatewayRefusal.Invalid($"model: agent '{agent.Name}' is not active.");
    }

    private static string? Beta(string? theirs, string? ours) =>
        string.Join(',', new[] { theirs, ours }.Where(b => !string.IsNullOrWhiteSpace(b)).SelectMany(b => b!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Distinct()) is { Length: > 0 } all ? all : null;

    private static T Refused<T>(Func<T> take)
    {
        try
        {
            return take();
        }
        catch (StreamStartException e)
        {
            throw Translate(e);
        }
    }

    private static void Refused(Action take) => Refused(() =>
    {
        take();
        return 0;
    });

    /// <summary>The chat's refusals, as Anthropic would word their kind.</summary>
    private static GatewayRefusal Translate(StreamStartException e) => e.Failure switch
    {
        StreamStartFailure.RateLimited => new GatewayRefusal(429, "rate_limit_error", e.Message) { RetryAfter = e.RetryAfter },
        StreamStartFailure.Unavailable => new GatewayRefusal(503, "api_error", e.Message) { RetryAfter = e.RetryAfter ?? TimeSpan.FromSeconds(5) },
        StreamStartFailure.AccountDisabled or StreamStartFailure.NoAnthropicKey => new GatewayRefusal(403, "permission_error", e.Message),
        _ => GatewayRefusal.Invalid(e.Message),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "A gateway call waits its turn for the database ({Failure})")]
    private static partial void LogWaitingForDatabase(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Gateway trace {TraceId}: key {KeyId} on {Model}, streaming {Streams}")]
    private static partial void LogStarted(ILogger logger, string traceId, string keyId, string model, bool streams);
}
