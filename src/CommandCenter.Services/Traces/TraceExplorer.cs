using System.Text.Json.Serialization;
using CommandCenter.Services.Streaming;
using CommandCenter.Services.Pricing;
using System.Globalization;
using CommandCenter.Services.Data;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Traces;

/// <summary>Which traces to list: every filter is optional; dates are whole UTC days, both included.</summary>
public sealed record TraceFilter(
    string? Status = null, string? AgentId = null, string? Model = null, string? UserId = null,
    DateOnly? From = null, DateOnly? To = null, decimal? MinCost = null, decimal? MaxCost = null, int Page = 1, int PageSize = 50, string? IntegrationKeyId = null)
{
    public const int MaxPageSize = 100;
    public const int MaxPage = 1_000_000;
    private static readonly string[] Statuses = [TraceStatus.Running, TraceStatus.Completed, TraceStatus.Failed, TraceStatus.Cancelled];

    /// <summary>A filter from query-string text, checked field by field.</summary>
    /// <exception cref="InvalidInputException">Any field is not valid.</exception>
    public static TraceFilter Parse(
        string? status, string? agentId, string? model, string? userId, string? from, string? to, string? minCost, string? maxCost, string? page, string? pageSize,
        string? apiKeyId = null)
    {
        var errors = new Dictionary<string, string[]>();
        T? Read<T>(string field, string? text, Func<string, (bool, T)> parse, string error) where T : struct
        {
            if (text is null)
            {
                return null;
            }

            var (ok, value) = parse(text);
            if (!ok)
            {
                errors[field] = [error];
                return null;
            }

            return value;
        }

        static (bool, DateOnly) Date(string text) => (ReportDates.TryParse(text, out var d), d);
        static (bool, decimal) Dollars(string text) =>
            (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) && d >= 0 && d <= 1_000_000m, d);
        static (bool, int) Whole(string text, int max) => (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max, n);

        if (status is not null && !Statuses.Contains(status))
        {
            errors["status"] = ["The status must be running, completed, failed or cancelled."];
        }

        foreach (var (field, value) in new[] { ("agentId", agentId), ("model", model), ("userId", userId), ("apiKeyId", apiKeyId) })
        {
            if (value is not null && (value.Length is 0 or > 450 || !StorableTextAttribute.IsStorable(value)))
            {
                errors[field] = [$"The {field} is not valid."];
            }
        }

        var start = Read("from", from, Date, "The start date must be a date like 2026-11-01, no later than 9999-12-30.");
        var end = Read("to", to, Date, "The end date must be a date like 2026-11-30, no later than 9999-12-30.");
        var least = Read("minCost", minCost, Dollars, "The minimum cost must be a number of dollars, 0 or more.");
        var most = Read("maxCost", maxCost, Dollars, "The maximum cost must be a number of dollars, 0 or more.");
        var pageNumber = Read("page", page, t => Whole(t, MaxPage), $"The page must be between 1 and {MaxPage}.");
        var size = Read("pageSize", pageSize, t => Whole(t, MaxPageSize), $"The page size must be between 1 and {MaxPageSize}.");
        if (start > end)
        {
            errors["from"] = ["The start date must not be after the end date."];
        }

        if (least > most)
        {
            errors["minCost"] = ["The minimum cost must not be above the maximum."];
        }

        return errors.Count > 0
            ? throw new InvalidInputException(errors)
            : new TraceFilter(status, agentId, model, userId, start, end, least, most, pageNumber ?? 1, size ?? 50, apiKeyId);
    }
}

public sealed record TraceSummary(
    string Id, string Status, string AgentId, string? AgentName, string Model, string UserId, string? UserEmail, string Instruction,
    DateTimeOffset CreatedAt, int? DurationMs, int? TimeToFirstTokenMs, int InputTokens, int OutputTokens, int CacheWriteTokens, int CacheReadTokens,
    decimal Cost, bool CostEstimated, string Source = "command-center");

public sealed record TracePage(IReadOnlyList<TraceSummary> Items, int Page, int PageSize, int Total);

/// <summary>
/// Tokens by class, each priced apart: cache writes and reads are never folded into input. <see cref="Thinking"/> is the
/// part of output Anthropic reported as thinking (null when it did not).
/// </summary>
public sealed record TraceTokens(int Input, int CacheWrite5m, int CacheWrite1h, int CacheRead, int Output, int Total, int? Thinking = null);

/// <summary>The price row the call was charged at, as copied onto the trace when it ran: its five rates (the tier's when it applied).</summary>
public sealed record TracePrice(
    int Id, decimal InputPerMTok, decimal OutputPerMTok, DateTimeOffset? EffectiveFrom,
    decimal CacheWrite5mPerMTok = 0m, decimal CacheWrite1hPerMTok = 0m, decimal CacheReadPerMTok = 0m, bool TierApplied = false);

public sealed record TraceDetail(
    string Id, string Status, string SessionStatus, string AgentId, string? AgentName, string Model, string UserId, string? UserEmail,
    string? ConversationId, string Instruction, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    int? TimeToFirstTokenMs, int? DurationMs, double? OutputTokensPerSecond, TraceTokens Tokens, decimal Cost, bool CostEstimated, TracePrice Price,
    string? StopReason, string? UpstreamRequestId, string? UpstreamMessageId, int? UpstreamStatus, string? Error,
    int HistoryMessagesSent, int HistoryMessagesTrimmed, [property: JsonPropertyName("apiKeyId")] string? IntegrationKeyId, [property: JsonPropertyName("apiKeyName")] string? IntegrationKeyName,
    int WebSearchRequests, decimal ToolFees, decimal WebSearchPerThousand, IReadOnlyList<TraceCall> Calls, ClassCosts Costs = default,
    string Source = "command-center", string? UserAgent = null, IReadOnlyList<Files.TracedAttachment>? Attachments = null);

/// <summary>
/// One upstream call of a trace: a reply whose turn Anthropic paused (<c>pause_turn</c>) makes one call per
/// continuation, and the trace's figures are their sums.
/// </summary>
public sealed record TraceCall(
    string Id, string Status, DateTimeOffset StartedAt, int? TimeToFirstTokenMs, int? DurationMs, TraceTokens Tokens, decimal Cost, bool CostEstimated,
    int WebSearchRequests, decimal ToolFees, string? StopReason, string? UpstreamRequestId, string? UpstreamMessageId, int? UpstreamStatus, string? Error);

/// <summary>
/// The trace explorer: traces filtered and paged, newest first, and one trace in full. Operators see their own traces;
/// administrators everyone's. Another user's trace is indistinguishable from a missing one.
/// </summary>
public sealed class TraceExplorer(IDbContextFactory<CommandCenterDbContext> dbFactory)
{
    private const int InstructionPreview = 200;

    /// <param name="ownerId">Only this user's traces; null for everyone's (administrators).</param>
    public async Task<TracePage> ListAsync(TraceFilter filter, string? ownerId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = Filtered(db, filter, ownerId);
        var total = await query.CountAsync(ct);
        var items = await query
            .OrderByDescending(x => x.Trace.CreatedAt).ThenByDescending(x => x.Trace.Id)
            .Skip((filter.Page - 1) * filter.PageSize).Take(filter.PageSize)
            .Select(x => new TraceSummary(
                x.Trace.Id, x.Trace.Status, x.Session.AgentId, db.Agents.Where(a => a.Id == x.Session.AgentId).Select(a => a.Name).FirstOrDefault(),
                x.Session.ModelUsed, x.Trace.OwnerId, db.Users.Where(u => u.Id == x.Trace.OwnerId).Select(u => u.Email).FirstOrDefault(),
                x.Trace.Instruction.Substring(0, InstructionPreview), x.Trace.CreatedAt, x.Session.DurationMs, x.Session.TimeToFirstTokenMs,
                x.Session.TokensIn, x.Session.TokensOut, x.Session.CacheWriteTokens + x.Session.CacheWrite1hTokens, x.Session.CacheReadTokens,
                x.Trace.TotalCost, x.Session.CostEstimated, x.Session.SessionType))
            .ToListAsync(ct);

        // The rows above show each trace's last call; a paused and continued turn adds its earlier calls (rarely any).
        var ids = items.Select(i => i.Id).ToList();
        var earlier = await db.TraceSessions.AsNoTracking().Where(s => ids.Contains(s.TaskTraceId) && s.Continued)
            .GroupBy(s => s.TaskTraceId)
            .Select(g => new
            {
                TraceId = g.Key, Duration = g.Sum(s => s.DurationMs ?? 0), First = g.Min(s => s.TimeToFirstTokenMs), In = g.Sum(s => s.TokensIn),
                Out = g.Sum(s => s.TokensOut), Write = g.Sum(s => s.CacheWriteTokens + s.CacheWrite1hTokens), Read = g.Sum(s => s.CacheReadTokens),
            })
            .ToDictionaryAsync(e => e.TraceId, ct);
        if (earlier.Count > 0)
        {
            items = [.. items.Select(i => earlier.TryGetValue(i.Id, out var e)
                ? i with
                {
                    DurationMs = i.DurationMs + e.Duration, TimeToFirstTokenMs = e.First ?? i.TimeToFirstTokenMs, InputTokens = i.InputTokens + e.In,
                    OutputTokens = i.OutputTokens + e.Out, CacheWriteTokens = i.CacheWriteTokens + e.Write, CacheReadTokens = i.CacheReadTokens + e.Read,
                }
                : i)];
        }

        return new TracePage([.. items.Select(i => i.AgentName is null && ReplyRows.AgentNameOf(i.AgentId) is { } name ? i with { AgentName = name } : i)], filter.Page, filter.PageSize, total);
    }

    /// <returns>Null when there is no such trace, or it is not <paramref name="ownerId"/>'s.</returns>
    public async Task<TraceDetail?> GetAsync(string id, string? ownerId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var found = await Visible(db, ownerId).Where(x => x.Trace.Id == id)
            .Select(x => new
            {
                x.Trace,
                x.Session,
                AgentName = db.Agents.Where(a => a.Id == x.Session.AgentId).Select(a => a.Name).FirstOrDefault(),
                UserEmail = db.Users.Where(u => u.Id == x.Trace.OwnerId).Select(u => u.Email).FirstOrDefault(),
                PriceFrom = db.ModelPrices.Where(p => p.Id == x.Session.ModelPriceId).Select(p => (DateTimeOffset?)p.EffectiveFrom).FirstOrDefault(),
                IntegrationKeyName = db.IntegrationKeys.Where(k => k.Id == x.Session.IntegrationKeyId).Select(k => k.Name).FirstOrDefault(),
            })
            .SingleOrDefaultAsync(ct);
        if (found is null)
        {
            return null;
        }

        var (t, s) = (found.Trace, found.Session);
        var sessions = await db.TraceSessions.AsNoTracking().Where(c => c.TaskTraceId == id).ToListAsync(ct);
        var calls = sessions
            .OrderBy(c => c.Continued ? 0 : 1).ThenBy(c => c.StartedAt)
            .Select(c => new TraceCall(
                c.Id, c.Status, c.StartedAt, c.TimeToFirstTokenMs, c.DurationMs,
                new TraceTokens(c.TokensIn, c.CacheWriteTokens, c.CacheWrite1hTokens, c.CacheReadTokens, c.TokensOut,
                    c.TokensIn + c.CacheWriteTokens + c.CacheWrite1hTokens + c.CacheReadTokens + c.TokensOut, c.ThinkingTokens),
                c.Cost, c.CostEstimated, c.WebSearchRequests, c.ToolFees, c.StopReason, c.UpstreamRequestId, c.UpstreamMessageId, c.UpstreamStatus, c.Error))
            .ToList();
        var first = calls[0];
        int? duration = calls.All(c => c.DurationMs is not null) ? calls.Sum(c => c.DurationMs) : null;
        var output = calls.Sum(c => c.Tokens.Output);
        // Output tokens over the time they streamed: from the first token to the end.
        double? perSecond = duration is { } total && first.TimeToFirstTokenMs is { } ttft && total > ttft && output > 0
            ? Math.Round(output / ((total - ttft) / 1000.0), 1)
            : null;
        return new TraceDetail(
            t.Id, t.Status, s.Status, s.AgentId, found.AgentName ?? ReplyRows.AgentNameOf(s.AgentId), s.ModelUsed, t.OwnerId, found.UserEmail, t.ConversationId, t.Instruction,
            t.StartedAt, t.CompletedAt, first.TimeToFirstTokenMs, duration, perSecond,
            new TraceTokens(calls.Sum(c => c.Tokens.Input), calls.Sum(c => c.Tokens.CacheWrite5m), calls.Sum(c => c.Tokens.CacheWrite1h),
                calls.Sum(c => c.Tokens.CacheRead), output, t.TotalTokens, calls.Sum(c => c.Tokens.Thinking)),
            t.TotalCost, s.CostEstimated,
            new TracePrice(s.ModelPriceId, s.InputPricePerMTok, s.OutputPricePerMTok, found.PriceFrom, s.CacheWrite5mPricePerMTok, s.CacheWrite1hPricePerMTok,
                s.CacheReadPricePerMTok, s.PriceTierApplied),
            s.StopReason, s.UpstreamRequestId, s.UpstreamMessageId, s.UpstreamStatus, s.Error, s.HistoryMessagesSent, s.HistoryMessagesTrimmed,
            s.IntegrationKeyId, s.IntegrationKeyId is null ? null : found.IntegrationKeyName ?? "revoked key",
            calls.Sum(c => c.WebSearchRequests), calls.Sum(c => c.ToolFees), s.WebSearchPerThousand, calls,
            sessions.Aggregate(default(ClassCosts), (sum, c) => sum + CostCalculator.Compute(
                new TokenUsage(c.TokensIn, c.TokensOut, c.CacheWriteTokens, c.CacheWrite1hTokens, c.CacheReadTokens),
                new TokenRates(c.InputPricePerMTok, c.CacheWrite5mPricePerMTok, c.CacheWrite1hPricePerMTok, c.CacheReadPricePerMTok, c.OutputPricePerMTok)).Classes),
            s.SessionType, t.UserAgent, t.Attachments ?? []);
    }

    // A member-initialised class, not a positional record: EF can only compose further queries over the former.
    private sealed class Row
    {
        public required TaskTrace Trace { get; init; }
        public required TraceSession Session { get; init; }
    }

    private static IQueryable<Row> Visible(CommandCenterDbContext db, string? ownerId) =>
        from t in db.TaskTraces.AsNoTracking()
        join s in db.TraceSessions.AsNoTracking() on t.Id equals s.TaskTraceId
        // One row per trace: its last call (the one no later call continued).
        where !s.Continued && (ownerId == null || t.OwnerId == ownerId)
        select new Row { Trace = t, Session = s };

    private static IQueryable<Row> Filtered(CommandCenterDbContext db, TraceFilter filter, string? ownerId)
    {
        var query = Visible(db, ownerId);
        if (filter.Status is { } status)
        {
            query = query.Where(x => x.Trace.Status == status);
        }

        if (filter.AgentId is { } agentId)
        {
            query = query.Where(x => x.Session.AgentId == agentId);
        }

        if (filter.Model is { } model)
        {
            query = query.Where(x => x.Session.ModelUsed == model);
        }

        if (filter.UserId is { } userId)
        {
            query = query.Where(x => x.Trace.OwnerId == userId);
        }

        if (filter.IntegrationKeyId is { } apiKeyId)
        {
            query = query.Where(x => x.Session.IntegrationKeyId == apiKeyId);
        }

        if (filter.From is { } from)
        {
            var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(x => x.Trace.CreatedAt >= start);
        }

        if (filter.To is { } to)
        {
            var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(x => x.Trace.CreatedAt < end);
        }

        if (filter.MinCost is { } least)
        {
            query = query.Where(x => x.Trace.TotalCost >= least);
        }

        if (filter.MaxCost is { } most)
        {
            query = query.Where(x => x.Trace.TotalCost <= most);
        }

        return query;
    }
}
