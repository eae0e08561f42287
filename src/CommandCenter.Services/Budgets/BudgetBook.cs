using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Traces;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Budgets;

public sealed record BudgetInput(
    [property: Required(ErrorMessage = "The monthly limit is required: a number of US dollars above 0."),
        Range(typeof(decimal), "0.000001", "1000000000", ErrorMessage = "The monthly limit must be above $0 and at most $1,000,000,000.")]
    decimal? MonthlyLimit);

/// <summary>A budget and where its current month stands. <see cref="Reserved"/> is held by replies still being written.</summary>
public sealed record BudgetView(
    string Scope, string SubjectId, string SubjectName, decimal MonthlyLimit, DateOnly Month, decimal Spent, decimal Reserved, decimal Remaining);

/// <summary>Why a message was refused: the first budget that cannot cover its worst case.</summary>
public sealed record BudgetShortfall(string Scope, string SubjectId, decimal MonthlyLimit, decimal Remaining, decimal WorstCase);

/// <summary>A budget cannot cover a request's worst case; nothing was written. The message names the budget and the month's spend.</summary>
public sealed class BudgetExceededException(BudgetShortfall shortfall, string message) : Exception(message)
{
    public BudgetShortfall Shortfall { get; } = shortfall;
}

/// <summary>
/// Monthly budgets per user, per agent and per integration key. Before Anthropic is called, a reply reserves its worst case on every budget
/// that applies, in one transaction under those budgets' row locks, so concurrent replies can never overshoot; its end
/// write then settles each charge to the real cost (<see cref="ReplyRows"/>).
/// </summary>
public sealed class BudgetBook(IDbContextFactory<CommandCenterDbContext> dbFactory, ShortCache cache, InstanceLease instance, TimeProvider clock)
{
    /// <summary>
    /// The most a request can cost: its input, estimated from the prompt's characters as the context check does, all
    /// priced as 5-minute cache writes (the dearest class our requests use), plus <paramref name="maxTokens"/> of output,
    /// plus <paramref name="maxSearches"/> web searches at <paramref name="searchPerThousand"/> dollars per 1,000.
    /// </summary>
    public static decimal WorstCase(long promptCharacters, int maxTokens, ModelPrice price, int maxSearches = 0, decimal searchPerThousand = 0m)
    {
        var input = (int)Math.Min(int.MaxValue, (promptCharacters + ConversationHistory.CharsPerToken - 1) / ConversationHistory.CharsPerToken);
        return CostCalculator.Compute(new TokenUsage(0, maxTokens, CacheWrite5mTokens: input, WebSearchRequests: maxSearches), price, searchPerThousand).TotalCost;
    }

    /// <summary>What a search agent without its own limit reserves for: Anthropic sets none, so this is a guess, not a bound.</summary>
    public const int SearchesReservedWithoutALimit = 10;

    /// <summary>The budgets over a reply of <paramref name="userId"/> to <paramref name="agentId"/>, sent with <paramref name="integrationKeyId"/> if any (cached: most replies have none).</summary>
    private async Task<List<Budget>> ApplyingAsync(string userId, string agentId, string? integrationKeyId, CancellationToken ct)
    {
        List<Budget> applying = [];
        foreach (var (scope, subjectId) in new[] { (BudgetScope.User, userId), (BudgetScope.Agent, agentId), (BudgetScope.IntegrationKey, integrationKeyId) })
        {
            if (subjectId is not null)
            {
                // All of a scope's budgets in one entry: a few per team, and a new user or agent is then no extra query.
                var budgets = await cache.GetOrLoadAsync(ShortCache.Budgets(scope), () => LoadAsync(scope, ct));
                if (budgets!.TryGetValue(subjectId, out var budget))
                {
                    applying.Add(budget);
                }
            }
        }

        return applying;
    }

    private async Task<Dictionary<string, Budget>?> LoadAsync(string scope, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Budgets.AsNoTracking().Where(b => b.Scope == scope).ToDictionaryAsync(b => b.SubjectId, ct);
    }

    /// <summary>
    /// Claims <paramref name="worstCase"/> on every budget over this reply, or none: returns the charges written (none
    /// when no budget applies, without touching the database beyond the cache).
    /// </summary>
    /// <exception cref="BudgetExceededException">A budget cannot cover it; nothing was written.</exception>
    internal async Task<IReadOnlyList<BudgetCharge>> ReserveAsync(
        string traceId, string userId, string agentId, string? integrationKeyId, decimal worstCase, DateTimeOffset now, CancellationToken ct)
    {
        // Most messages have no budget: they find that in the cache and never open a context here.
        var applying = await ApplyingAsync(userId, agentId, integrationKeyId, ct);
        if (applying.Count == 0)
        {
            return [];
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);

        var month = BudgetCharge.MonthOf(now);
        var subjects = applying.Select(b => b.SubjectId).ToArray();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Locked in one order, so two replies sharing budgets queue instead of deadlocking; the limits are read under the lock.
        var locked = await db.Budgets.FromSql($"SELECT * FROM budgets WHERE \"subjectId\" = ANY({subjects}) ORDER BY scope, \"subjectId\" FOR UPDATE")
            .AsNoTracking().ToListAsync(ct);
        var used = await UsedAsync(db, subjects, month, ct);
        var charges = new List<BudgetCharge>();
        foreach (var budget in locked.Where(l => applying.Any(a => a.Scope == l.Scope && a.SubjectId == l.SubjectId)))
        {
            var remaining = budget.MonthlyLimit - used.GetValueOrDefault((budget.Scope, budget.SubjectId)).Total;
            if (worstCase > remaining)
            {
                var shortfall = new BudgetShortfall(budget.Scope, budget.SubjectId, budget.MonthlyLimit, Math.Max(0, remaining), worstCase);
                Telemetry.ReplyTelemetry.BudgetRefused(budget.Scope, agentId);
                throw new BudgetExceededException(shortfall, await DescribeAsync(db, shortfall, month, ct));
            }

            charges.Add(new BudgetCharge
            {
                TraceId = traceId, Scope = budget.Scope, SubjectId = budget.SubjectId, Month = month, Amount = worstCase,
                InstanceKey = instance.Key, CreatedAt = now,
            });
        }

        db.BudgetCharges.AddRange(charges);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return charges;
    }

    private static async Task<Dictionary<(string Scope, string SubjectId), (decimal Total, decimal Spent, decimal Reserved)>> UsedAsync(
        CommandCenterDbContext db, string[] subjects, DateOnly month, CancellationToken ct)
    {
        var rows = await db.BudgetCharges.Where(c => subjects.Contains(c.SubjectId) && c.Month == month)
            .GroupBy(c => new { c.Scope, c.SubjectId })
            .Select(g => new
            {
                g.Key.Scope,
                g.Key.SubjectId,
                Spent = g.Where(c => c.Settled).Sum(c => c.Amount),
                Reserved = g.Where(c => !c.Settled).Sum(c => c.Amount),
            })
            .ToListAsync(ct);
        return rows.ToDictionary(r => (r.Scope, r.SubjectId), r => (r.Spent + r.Reserved, r.Spent, r.Reserved));
    }

    private static async Task<string> DescribeAsync(CommandCenterDbContext db, BudgetShortfall shortfall, DateOnly month, CancellationToken ct)
    {
        var whose = shortfall.Scope switch
        {
            BudgetScope.User => "Your",
            BudgetScope.Agent => $"Agent {await db.Agents.Where(a => a.Id == shortfall.SubjectId).Select(a => a.Name).SingleOrDefaultAsync(ct)}'s",
            _ => $"API key {await db.IntegrationKeys.Where(k => k.Id == shortfall.SubjectId).Select(k => k.Name).SingleOrDefaultAsync(ct)}'s",
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"Over budget: {whose} monthly budget of {Dollars(shortfall.MonthlyLimit)} has {Dollars(shortfall.Remaining)} left for {month:MMMM yyyy}, and this message may cost up to {Dollars(shortfall.WorstCase)} (its input, the agent's full max tokens of output and, if it searches the web, its most searches). An admin can raise the budget.");
    }

    private static string Dollars(decimal amount) => amount.ToString("$#,##0.00####", CultureInfo.InvariantCulture);

    /// <summary>Every budget with its current month, for admins.</summary>
    public async Task<IReadOnlyList<BudgetView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ViewsAsync(db, await db.Budgets.AsNoTracking().ToListAsync(ct), ct);
    }

    /// <summary>The budgets of <paramref name="scope"/> over <paramref name="subjectIds"/> that have one.</summary>
    public async Task<IReadOnlyList<BudgetView>> ListAsync(string scope, string[] subjectIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ViewsAsync(db, await db.Budgets.AsNoTracking().Where(b => b.Scope == scope && subjectIds.Contains(b.SubjectId)).ToListAsync(ct), ct);
    }

    /// <summary>The budgets over a reply of <paramref name="userId"/> to <paramref name="agentId"/>, for the chat page's remaining figure.</summary>
    public async Task<IReadOnlyList<BudgetView>> ForAsync(string userId, string? agentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var budgets = await db.Budgets.AsNoTracking()
            .Where(b => (b.Scope == BudgetScope.User && b.SubjectId == userId) || (b.Scope == BudgetScope.Agent && b.SubjectId == agentId))
            .ToListAsync(ct);
        return await ViewsAsync(db, budgets, ct);
    }

    /// <summary>Sets the monthly limit of a user's, agent's or integration key's budget, creating it if need be.</summary>
    /// <returns>Null when there is no such user, agent or key.</returns>
    /// <exception cref="InvalidInputException">An unknown scope or a limit out of range; nothing was saved.</exception>
    public async Task<BudgetView?> SetAsync(string scope, string subjectId, BudgetInput input, CancellationToken ct = default)
    {
        ThrowIfUnknown(scope);
        InvalidInputException.ThrowIfInvalid(input);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await SubjectExistsAsync(db, scope, subjectId, ct))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var budget = await db.Budgets.SingleOrDefaultAsync(b => b.Scope == scope && b.SubjectId == subjectId, ct);
        if (budget is null)
        {
            budget = new Budget { Scope = scope, SubjectId = subjectId, CreatedAt = now };
            db.Budgets.Add(budget);
        }

        budget.MonthlyLimit = decimal.Round(input.MonthlyLimit!.Value, 6);
        budget.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        cache.Evict(ShortCache.Budgets(scope));
        return (await ViewsAsync(db, [budget], ct)).Single();
    }

    /// <returns>False when there was no such budget.</returns>
    public async Task<bool> DeleteAsync(string scope, string subjectId, CancellationToken ct = default)
    {
        ThrowIfUnknown(scope);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deleted = await db.Budgets.Where(b => b.Scope == scope && b.SubjectId == subjectId).ExecuteDeleteAsync(ct);
        cache.Evict(ShortCache.Budgets(scope));
        return deleted > 0;
    }

    private static void ThrowIfUnknown(string scope)
    {
        if (!BudgetScope.All.Contains(scope))
        {
            throw InvalidInputException.For("scope", $"A budget is per {string.Join(", ", BudgetScope.All.SkipLast(1))} or {BudgetScope.All[^1]}; \"{scope}\" is none of these.");
        }
    }

    private static Task<bool> SubjectExistsAsync(CommandCenterDbContext db, string scope, string subjectId, CancellationToken ct) => scope switch
    {
        BudgetScope.User => db.Users.AnyAsync(u => u.Id == subjectId, ct),
        BudgetScope.Agent => db.Agents.AnyAsync(a => a.Id == subjectId, ct),
        _ => db.IntegrationKeys.AnyAsync(k => k.Id == subjectId, ct),
    };

    private async Task<IReadOnlyList<BudgetView>> ViewsAsync(CommandCenterDbContext db, List<Budget> budgets, CancellationToken ct)
    {
        var month = BudgetCharge.MonthOf(clock.GetUtcNow());
        var subjects = budgets.Select(b => b.SubjectId).ToArray();
        var used = await UsedAsync(db, subjects, month, ct);
        var users = await db.Users.Where(u => subjects.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
        var agents = await db.Agents.Where(a => subjects.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var keys = await db.IntegrationKeys.Where(k => subjects.Contains(k.Id)).ToDictionaryAsync(k => k.Id, k => k.Name, ct);
        return [.. budgets
            .Select(b =>
            {
                var (total, spent, reserved) = used.GetValueOrDefault((b.Scope, b.SubjectId));
                var names = b.Scope switch { BudgetScope.User => users, BudgetScope.Agent => agents, _ => keys };
                var name = names.GetValueOrDefault(b.SubjectId, b.SubjectId);
                return new BudgetView(b.Scope, b.SubjectId, name, b.MonthlyLimit, month, spent, reserved, Math.Max(0, b.MonthlyLimit - total));
            })
            .OrderBy(v => v.Scope).ThenBy(v => v.SubjectName, StringComparer.OrdinalIgnoreCase)];
    }
}
