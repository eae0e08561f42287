using CommandCenter.Services.Data;
using CommandCenter.Services.Models;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Agents;

/// <param name="ModelStatus">Where the agent's model is in its life (active, legacy, deprecated, retired); null when the catalogue does not know it.</param>
/// <param name="RetiresAt">When requests to the model start to fail (deprecated and retired models).</param>
/// <param name="Replacement">The model Anthropic recommends moving to.</param>
public sealed record AgentView(
    string Id, string Name, string Description, string Model, string SystemPrompt, int MaxTokens, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ThinkingSettings? Thinking = null, WebSearchSettings? WebSearch = null, WebFetchSettings? WebFetch = null,
    string? ModelName = null, string? ModelStatus = null, DateTimeOffset? RetiresAt = null, string? Replacement = null)
{
    /// <summary>The model is deprecated or retired: the agent should move to <see cref="Replacement"/>.</summary>
    public bool ModelEnding => ModelStatus is Models.ModelStatus.Deprecated or Models.ModelStatus.Retired;
}

/// <summary>An agent moved to another model, and what had to change for that model to take its settings.</summary>
public sealed record AgentMove(AgentView Agent, IReadOnlyList<string> Changes);

public enum AgentDeleteResult
{
    Deleted,
    NotFound,
    InUse,
}

/// <summary>Agents as the API and the Agents page see them; validation lives here once.</summary>
public sealed class AgentCatalog(IDbContextFactory<CommandCenterDbContext> dbFactory, PriceBook prices, ModelCatalog models, ShortCache cache, TimeProvider clock)
{
    /// <summary>The agent as a message uses it (cached, see <see cref="ShortCache"/>); null when there is none.</summary>
    internal Task<Agent?> FindForReplyAsync(CommandCenterDbContext db, string id, CancellationToken ct) =>
        cache.GetOrLoadAsync(ShortCache.Agent(id), () => db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, ct));

    public async Task<IReadOnlyList<AgentView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agents = await db.Agents.AsNoTracking().OrderBy(a => a.Name).ToListAsync(ct);
        var catalogue = await models.ListAsync(ct);
        return [.. agents.Select(a => View(a, catalogue.FirstOrDefault(m => m.IsNamed(a.Model))))];
    }

    public async Task<AgentView?> FindAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, ct) is { } agent
            ? View(agent, await models.FindAsync(db, agent.Model, ct))
            : null;
    }

    /// <summary>
    /// Moves the agent to <paramref name="model"/> (default: its model's recommended replacement), carrying each setting
    /// the new model refuses to the nearest it takes; says what changed.
    /// </summary>
    /// <returns>Null when there is no such agent.</returns>
    /// <exception cref="InvalidInputException">No model to move to, or the move breaks a rule.</exception>
    public async Task<AgentMove?> MoveAsync(string id, string? model, CancellationToken ct = default)
    {
        if (await FindAsync(id, ct) is not { } agent)
        {
            return null;
        }

        var target = model ?? agent.Replacement
            ?? throw InvalidInputException.For("model", $"{agent.Model} has no recommended replacement: name the model to move to.");
        var to = await models.FindAsync(target, ct)
            ?? throw InvalidInputException.For("model", $"Unknown model '{target}': it is not in the model catalogue.");
        var (input, changes) = AgentModelRules.Adapt(ToInput(agent), to);
        var moved = await UpdateAsync(id, input, ct);
        return moved is null ? null : new AgentMove(moved, changes);
    }

    /// <summary>What an admin would send to save the agent as it is.</summary>
    public static AgentInput ToInput(AgentView a) => new(a.Name, a.Description, a.Model, a.SystemPrompt, a.MaxTokens, a.Status, a.Thinking, a.WebSearch, a.WebFetch);

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
        // What the model accepts: nothing Anthropic would refuse is saved.
        var model = await models.FindAsync(input.Model!.Trim(), ct);
        if (model is not null && AgentModelRules.Check(input, model, clock.GetUtcNow()).ToList() is { Count: > 0 } refused)
        {
            throw new InvalidInputException(refused
                .GroupBy(r => r.MemberNames.FirstOrDefault() ?? "")
                .ToDictionary(g => g.Key, g => g.Select(r => r.ErrorMessage!).ToArray()));
        }

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
        (agent.Thinking, agent.WebSearch, agent.WebFetch) = AgentToolRules.Normalize(input.Thinking ?? AgentModelRules.DefaultThinking(model), input.WebSearch, input.WebFetch);
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
        return View(agent, model);
    }

    private static InvalidInputException NameTaken(string name) => InvalidInputException.For("name", $"An agent named '{name}' already exists.");

    // Settings that are off are stored as null and shown as off.
    private AgentView View(Agent a, ClaudeModel? model) =>
        new(a.Id, a.Name, a.Description, a.Model, a.SystemPrompt, a.MaxTokens, a.Status, a.CreatedAt, a.UpdatedAt,
            a.Thinking ?? new ThinkingSettings(), a.WebSearch ?? new WebSearchSettings(), a.WebFetch ?? new WebFetchSettings(),
            model?.DisplayName, model?.StatusAt(clock.GetUtcNow()), model?.RetiresAt, model?.Replacement);
}
