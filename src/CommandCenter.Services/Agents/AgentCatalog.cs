using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Agents;

public sealed record AgentView(
    string Id, string Name, string Description, string Model, string SystemPrompt, int MaxTokens, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The outcome of a create or update: the saved agent, or why not.</summary>
public sealed record AgentSaveResult(AgentView? Agent, IReadOnlyDictionary<string, string[]> Errors, bool NotFound = false)
{
    internal static AgentSaveResult Missing { get; } = new(null, new Dictionary<string, string[]>(), NotFound: true);
}

public enum AgentDeleteResult
{
    Deleted,
    NotFound,
    InUse,
}

/// <summary>Agents as the API and the Agents page see them; validation lives here once.</summary>
public sealed class AgentCatalog(IDbContextFactory<CommandCenterDbContext> dbFactory, PriceBook prices, TimeProvider clock)
{
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

    public Task<AgentSaveResult> CreateAsync(AgentInput input, CancellationToken ct = default) => SaveAsync(null, input, ct);

    public Task<AgentSaveResult> UpdateAsync(string id, AgentInput input, CancellationToken ct = default) => SaveAsync(id, input, ct);

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
        return AgentDeleteResult.Deleted;
    }

    private async Task<AgentSaveResult> SaveAsync(string? id, AgentInput input, CancellationToken ct)
    {
        var priced = (await prices.ListCurrentAsync(ct)).Select(p => p.Model).ToList();
        var errors = input.Validate(priced);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agent = id is null ? null : await db.Agents.SingleOrDefaultAsync(a => a.Id == id, ct);
        if (id is not null && agent is null)
        {
            return AgentSaveResult.Missing;
        }

        var name = input.Name?.Trim() ?? "";
        if (!errors.ContainsKey("name") && await db.Agents.AnyAsync(a => a.Id != id && a.Name.ToLower() == name.ToLower(), ct))
        {
            errors["name"] = [$"An agent named '{name}' already exists."];
        }

        if (errors.Count > 0)
        {
            return new AgentSaveResult(null, errors);
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
        agent.Status = AgentInput.NormalizeStatus(input.Status)!;
        agent.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique index on the name: someone saved the same name a moment ago.
            return new AgentSaveResult(null, new Dictionary<string, string[]> { ["name"] = [$"An agent named '{name}' already exists."] });
        }

        return new AgentSaveResult(View(agent), errors);
    }

    private static AgentView View(Agent a) =>
        new(a.Id, a.Name, a.Description, a.Model, a.SystemPrompt, a.MaxTokens, a.Status, a.CreatedAt, a.UpdatedAt);
}
