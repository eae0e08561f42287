using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.Data;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.IntegrationKeys;

public sealed record IntegrationKeyInput(
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "A name is required (at most 100 characters), to tell keys apart."), StorableText,
        TrimmedMaxLength(100, ErrorMessage = "A name is required (at most 100 characters), to tell keys apart.")]
    string? Name,
    [property: Range(typeof(decimal), "0.000001", "1000000000", ErrorMessage = "The monthly budget must be above $0 and at most $1,000,000,000; leave it out for none.")]
    decimal? MonthlyBudget = null,
    [property: Range(1, 100_000, ErrorMessage = "The rate limit must be between 1 and 100,000 messages a minute; leave it out for the default.")]
    int? MessagesPerMinute = null);

/// <summary>A key as its owner sees it: never the key itself, which is shown once, at creation.</summary>
public sealed record IntegrationKeyView(
    string Id, string Name, string Prefix, decimal? MonthlyBudget, decimal? BudgetRemaining, int? MessagesPerMinute, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A key just created: <see cref="Key"/> is shown this once.</summary>
/// <remarks>A class, not a record: a record's generated ToString would print the key.</remarks>
public sealed class CreatedIntegrationKey(IntegrationKeyView view, string key)
{
    public IntegrationKeyView View { get; } = view;
    public string Key { get; } = key;
}

/// <summary>What a request's key stands for, once found.</summary>
public sealed record IntegrationKeyIdentity(string Id, string OwnerId, int? MessagesPerMinute, DateTimeOffset? LastUsedAt);

/// <summary>Users' integration keys: created (shown once), listed, deleted (revoked at once, on every instance), and found by their hash.</summary>
public sealed class IntegrationKeyStore(IDbContextFactory<CommandCenterDbContext> dbFactory, BudgetBook budgets, ShortCache cache, TimeProvider clock)
{
    public const string KeyPrefix = "cc_";

    // A key's last use is written at most this often, so calls do not each add a write.
    private static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    public static bool LooksLikeKey(string token) => token.StartsWith(KeyPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The key behind <paramref name="key"/>, or null (cached; a deletion evicts it on every instance at once). Every call
    /// that comes with a key asks this first, so under a burst it waits its turn for the database like the reply does.
    /// </summary>
    public async Task<IntegrationKeyIdentity?> FindAsync(string key, CancellationToken ct)
    {
        var hash = Hash(key);
        return await cache.GetOrLoadAsync(ShortCache.IntegrationKey(hash), () => DatabaseFailures.WaitWhileBusyAsync(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.IntegrationKeys.AsNoTracking().Where(k => k.Hash == hash)
                .Select(k => new IntegrationKeyIdentity(k.Id, k.OwnerId, k.MessagesPerMinute, k.LastUsedAt)).SingleOrDefaultAsync(ct);
        }, DatabaseFailures.BusyWait, clock, _ => { }, ct));
    }

    /// <summary>Notes that <paramref name="key"/> was used now, unless that was noted less than a minute ago.</summary>
    public async Task NoteUsedAsync(IntegrationKeyIdentity key, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (key.LastUsedAt is { } last && now - last < LastUseResolution)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var since = now - LastUseResolution;
        await db.IntegrationKeys.Where(k => k.Id == key.Id && (k.LastUsedAt == null || k.LastUsedAt < since))
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct);
    }

    public async Task<IReadOnlyList<IntegrationKeyView>> ListAsync(string ownerId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.IntegrationKeys.AsNoTracking().Where(k => k.OwnerId == ownerId).OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
        var keyBudgets = (await budgets.ListAsync(BudgetScope.IntegrationKey, [.. keys.Select(k => k.Id)], ct)).ToDictionary(b => b.SubjectId);
        return [.. keys.Select(k => View(k, keyBudgets.GetValueOrDefault(k.Id)))];
    }

    /// <summary>Ids and names of <paramref name="ownerId"/>'s keys, or of everyone's (null), for filters.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> NamesAsync(string? ownerId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IntegrationKeys.AsNoTracking().Where(k => ownerId == null || k.OwnerId == ownerId).OrderBy(k => k.Name)
            .Select(k => new KeyValuePair<string, string>(k.Id, k.Name)).ToListAsync(ct);
    }

    /// <exception cref="InvalidInputException">The input breaks a rule; nothing was saved.</exception>
    public async Task<CreatedIntegrationKey> CreateAsync(string ownerId, IntegrationKeyInput input, CancellationToken ct = default)
    {
        InvalidInputException.ThrowIfInvalid(input);
        var key = KeyPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var row = new IntegrationKey
        {
            Id = Ids.New(), OwnerId = ownerId, Name = input.Name!.Trim(), Prefix = key[..(KeyPrefix.Length + 6)], Hash = Hash(key),
            MessagesPerMinute = input.MessagesPerMinute, CreatedAt = clock.GetUtcNow(),
        };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.IntegrationKeys.Add(row);
            await db.SaveChangesAsync(ct);
        }

        var budget = input.MonthlyBudget is { } limit ? await budgets.SetAsync(BudgetScope.IntegrationKey, row.Id, new BudgetInput(limit), ct) : null;
        return new CreatedIntegrationKey(View(row, budget), key);
    }

    /// <summary>Revokes the key at once; its traces keep naming it.</summary>
    /// <returns>False when the owner has no such key.</returns>
    public async Task<bool> DeleteAsync(string ownerId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = await db.IntegrationKeys.Where(k => k.Id == id && k.OwnerId == ownerId).Select(k => k.Hash).SingleOrDefaultAsync(ct);
        if (hash is null)
        {
            return false;
        }

        await db.IntegrationKeys.Where(k => k.Id == id).ExecuteDeleteAsync(ct);
        cache.Evict(ShortCache.IntegrationKey(hash));
        await budgets.DeleteAsync(BudgetScope.IntegrationKey, id, ct);
        return true;
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static IntegrationKeyView View(IntegrationKey key, BudgetView? budget) =>
        new(key.Id, key.Name, key.Prefix + "…", budget?.MonthlyLimit, budget?.Remaining, key.MessagesPerMinute, key.CreatedAt, key.LastUsedAt);
}
