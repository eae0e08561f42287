using System.Security.Cryptography;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Services.Data;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommandCenter.Services.Models;

/// <summary>What a refresh from Anthropic's Models API changed.</summary>
public sealed record ModelRefresh(int Listed, IReadOnlyList<string> Updated, IReadOnlyList<string> Added);

/// <summary>
/// The model catalogue: each Claude model's lifecycle, limits and capabilities, as agents, replies and pages read them.
/// Seeded with Anthropic's published facts (migration TodaysClaude); an admin can refresh status, limits and thinking
/// types from Anthropic's Models API with their own key. The rest (efforts' defaults, display, tool and sampling rules)
/// is not in that API and stays as seeded.
/// </summary>
public sealed partial class ModelCatalog(
    IDbContextFactory<CommandCenterDbContext> dbFactory, ShortCache cache, AnthropicKeyVault keys, AnthropicClient anthropic, TimeProvider clock, ILogger<ModelCatalog> logger)
{
    /// <summary>The model a new agent starts on, and the one setup's first agent uses: the current Sonnet.</summary>
    public const string DefaultModel = "claude-sonnet-5-5";

    /// <summary>The model named <paramref name="name"/> (its id or an alias), as replies use it (cached, see <see cref="ShortCache"/>); null when unknown.</summary>
    internal Task<ClaudeModel?> FindAsync(CommandCenterDbContext db, string name, CancellationToken ct) =>
        cache.GetOrLoadAsync(ShortCache.Model(name), () => db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == name || m.Aliases.Contains(name), ct));

    public async Task<ClaudeModel?> FindAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await FindAsync(db, name, ct);
    }

    /// <summary>Every model: the current ones first (active, legacy, deprecated, then retired), newest first within each.</summary>
    public async Task<IReadOnlyList<ClaudeModel>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var models = await db.Models.AsNoTracking().ToListAsync(ct);
        return [.. models.OrderBy(m => Array.IndexOf(ModelStatus.All, m.StatusAt(now))).ThenByDescending(m => m.ReleasedOn).ThenBy(m => m.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Reads Anthropic's Models API (every page, every lifecycle) with <paramref name="userId"/>'s Anthropic key, and
    /// updates each known model's status, dates, limits and thinking types; a model the catalogue lacks is added (with
    /// no price it cannot be used until an admin adds one).
    /// </summary>
    /// <exception cref="InvalidInputException">The caller has no Anthropic key.</exception>
    /// <exception cref="AnthropicApiException">Anthropic refused or could not be reached.</exception>
    public async Task<ModelRefresh> RefreshAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        string? key;
        try
        {
            key = (await keys.RevealAsync(db, userId, now, ct)).Key;
        }
        catch (CryptographicException)
        {
            key = null;
        }

        if (key is null)
        {
            throw InvalidInputException.For("apiKey", "Refreshing the catalogue reads Anthropic's Models API with your own Anthropic key: set one in Settings first.");
        }

        var listed = await anthropic.ListModelsAsync(key, ct);
        var models = await db.Models.ToListAsync(ct);
        List<string> updated = [], added = [];
        foreach (var info in listed)
        {
            var model = models.FirstOrDefault(m => m.IsNamed(info.Id));
            if (model is null)
            {
                model = new ClaudeModel
                {
                    Id = info.Id, DisplayName = info.DisplayName ?? info.Id,
                    Capabilities = new ModelCapabilities(ThinkingTypesOf(info) ?? [ThinkingType.Disabled], EffortsOf(info) ?? []),
                };
                db.Models.Add(model);
                models.Add(model);
                added.Add(model.Id);
            }
            else
            {
                updated.Add(model.Id);
            }

            Apply(model, info, now);
        }

        await db.SaveChangesAsync(ct);
        foreach (var model in models)
        {
            cache.Evict(ShortCache.Model(model.Id));
        }

        LogRefreshed(logger, listed.Count, updated.Count, added.Count);
        return new ModelRefresh(listed.Count, updated, added);
    }

    /// <summary>What the Models API says of a model: it knows lifecycle, dates, limits and thinking types.</summary>
    private static void Apply(ClaudeModel model, WireModelInfo info, DateTimeOffset now)
    {
        model.DisplayName = info.DisplayName ?? model.DisplayName;
        model.Line = info.Line ?? model.Line;
        model.ReleasedOn = info.CreatedAt is { } created && created.Year > 1970 ? DateOnly.FromDateTime(created.UtcDateTime) : model.ReleasedOn;
        model.DeprecatedAt = info.DeprecatedAt;
        model.RetiresAt = info.RetiresAt;
        // The API has no "legacy": an active model we hold as legacy (superseded, no retirement scheduled) stays so.
        model.Status = info.Lifecycle switch
        {
            ModelStatus.Deprecated => ModelStatus.Deprecated,
            ModelStatus.Retired => ModelStatus.Retired,
            _ when model.Status == ModelStatus.Legacy => ModelStatus.Legacy,
            _ => ModelStatus.Active,
        };
        model.ContextWindow = info.MaxInputTokens ?? model.ContextWindow;
        model.MaxOutputTokens = info.MaxTokens ?? model.MaxOutputTokens;
        if (info.Id != model.Id && !model.Aliases.Contains(info.Id))
        {
            model.Aliases = [.. model.Aliases, info.Id];
        }

        model.Capabilities = model.Capabilities with
        {
            ThinkingTypes = ThinkingTypesOf(info) ?? model.Capabilities.ThinkingTypes,
            Efforts = EffortsOf(info) ?? model.Capabilities.Efforts,
        };
        model.RefreshedAt = now;
    }

    private static string[]? ThinkingTypesOf(WireModelInfo info) => info.Capabilities?.Thinking?.Types is { } types
        ? [.. new (string Type, WireCapability? Support)[]
            {
                (ThinkingType.Adaptive, types.Adaptive), (ThinkingType.Enabled, types.Enabled),
                (ThinkingType.Disabled, types.Disabled), (ThinkingType.BetweenTools, types.BetweenTools),
            }.Where(t => t.Support?.Supported == true).Select(t => t.Type)]
        : null;

    private static string[]? EffortsOf(WireModelInfo info) => info.Capabilities?.Effort is { } effort
        ? effort.Supported
            ? [.. new (string Level, WireCapability? Support)[]
                {
                    ("low", effort.Low), ("medium", effort.Medium), ("high", effort.High), ("xhigh", effort.Xhigh), ("max", effort.Max),
                }.Where(e => e.Support?.Supported == true).Select(e => e.Level)]
            : []
        : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Model catalogue refreshed from Anthropic: {Listed} listed, {Updated} updated, {Added} added")]
    private static partial void LogRefreshed(ILogger logger, int listed, int updated, int added);
}
