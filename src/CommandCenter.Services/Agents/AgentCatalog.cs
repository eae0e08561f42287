using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Agents;

public sealed record AgentView(
    string Id, string Name, string Description, string Model, string SystemPrompt, int MaxTokens, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ThinkingSettings? Thinking = null, WebSearchSettings? WebSearch = null, WebFetchSettings? WebFetch = null);

public enum AgentDeleteResult
{
    Deleted,
    NotFound,
    InUse,
}

/// <summary>Agents as the API and the Agents page see them; validation lives here once.</summary>
public sealed class AgentCatalog(IDbContextFactory<CommandCenterDbContext> dbFactory, PriceBook prices, ShortCache cache, TimeProvider clock)
{
    /// <summary>The agent as a message uses it (cached, see <see cref="ShortCache"/>); null when there is none.</summary>
    internal Task<Agent?> FindForReplyAsync(CommandCenterDbContext db, string id, CancellationToken ct) =>
        cache.GetOrLoadAsync(ShortCache.Agent(id), () => db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, ct));

    public async Task<IReadOnlyList<AgentView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Agents.AsNoTracking()
            .OrderBy(a => a.Name)
            .Select(a => View(a))
            .ToListAsync(ct);
    }

    public async Task<AgentView?> FindAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Agents.AsNoTracking().Where(a => a.Id == id).Select(a => View(a)).SingleOrDefaultAsync(ct);
    }

    /// <exception cref="InvalidInputException">The input breaks a rule; nothing was saved.</exception>
    public async Task<AgentView> CreateAsync(AgentInput input, CancellationToken ct = default) => (await SaveAsync(null, input, ct))!;

    /// <returns>Null when there is no such agent.</returns>
    /// <exception cref="InvalidInputException">The input breaks a rule; nothing was saved.</exception>
    public Task<AgentView?> UpdateAsync(string id, AgentInput input, CancellationToken ct = default) => SaveAsync(id, input, ct);

    public async Task<AgentDeleteResult> DeleteAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Agents.AnyAsync(a => a.Id == id, ct))
        {
            return AgentDeleteResult.NotFound;
        }

        // Conversations keep their agent; traces name it. Such an agent is deactivated, not deleted.
        if (await db.Conversations.AnyAsync(c => c.AgentId == id, ct) || await db.TaskTraces.AnyAsync(t => t.MasterAgentId == id, ct))
        {
            return AgentDeleteResult.InUse;
        }

        await db.Agents.Where(a => a.Id == id).ExecuteDeleteAsync(ct);
        cache.Evict(ShortCache.Agent(id));
        return AgentDeleteResult.Deleted;
    }

    private async Task<AgentView?> SaveAsync(string? id, AgentInput input, CancellationToken ct)
    {
        InvalidInputException.ThrowIfInvalid(input, PricedModelAttribute.Among([.. (await prices.ListCurrentAsync(ct)).Select(p => p.Model)]));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agent = id is null ? null : await db.Agents.SingleOrDefaultAsync(a => a.Id == id, ct);
        if (id is not null && agent is null)
        {
            return null;
        }

        var name = input.Name!.Trim();
        if (await db.Agents.AnyAsync(a => a.Id != id && a.Name.ToLower() == name.ToLower(), ct))
        {
            throw NameTaken(name);
        }

        var now = clock.GetUtcNow();
        if (agent is null)
        {
            agent = new Agent { Id = Ids.New(), Name = name, Model = input.Model!.Trim(), CreatedAt = now };
            db.Agents.Add(agent);
        }

        agent.Name = name;
        agent.Description = input.Description?.Trim() ?? "";
        agent.Model = input.Model!.Trim();
        agent.SystemPrompt = input.SystemPrompt ?? "";
        agent.MaxTokens = input.MaxTokens ?? AgentInput.DefaultMaxTokens;
        agent.Status = AgentInput.NormalizeStatus(input.Status);
        (agent.Thinking, agent.WebSearch, agent.WebFetch) = AgentToolRules.Normalize(input.Thinking, input.WebSearch, input.WebFetch);
        agent.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // The unique index on the name: someone saved the same name a moment ago.
            throw NameTaken(name);
        }

        cache.Evict(ShortCache.Agent(agent.Id));
        return View(agent);
    }

    private static InvalidInputException NameTaken(string name) => InvalidInputException.For("name", $"An agent named '{name}' already exists.");

    // Settings that are off are stored as null and shown as off.
    private static AgentView View(Agent a) =>
        new(a.Id, a.Name, a.Description, a.Model, a.SystemPrompt, a.MaxTokens, a.Status, a.CreatedAt, a.UpdatedAt,
            a.Thinking ?? new ThinkingSettings(), a.WebSearch ?? new WebSearchSettings(), a.WebFetch ?? new WebFetchSettings());
}
