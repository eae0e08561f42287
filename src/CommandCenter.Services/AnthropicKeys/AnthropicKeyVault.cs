using CommandCenter.Services.Data;
using Microsoft.AspNetCore.DataProtection;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.AnthropicKeys;

/// <summary>What a user may see of their key: whether it is set and its last four characters, never the key.</summary>
public sealed record AnthropicKeyStatus(bool Configured, string? Last4, DateTimeOffset? UpdatedAt)
{
    public static readonly AnthropicKeyStatus None = new(false, null, null);
}

/// <summary>Stores users' Anthropic keys encrypted at rest; only the streaming service reads one back in clear.</summary>
public sealed class AnthropicKeyVault(IDbContextFactory<CommandCenterDbContext> dbFactory, IDataProtectionProvider protection, TimeProvider clock)
{
    public const int MaxKeyLength = 256;

    private readonly IDataProtector _protector = protection.CreateProtector("CommandCenter.AnthropicKey.v1");

    public async Task<AnthropicKeyStatus> GetStatusAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AnthropicKeys.AsNoTracking()
            .Where(k => k.UserId == userId)
            .Select(k => new AnthropicKeyStatus(true, k.Last4, k.UpdatedAt))
            .SingleOrDefaultAsync(ct) ?? AnthropicKeyStatus.None;
    }

    /// <exception cref="InvalidInputException">The key breaks a rule; nothing was saved.</exception>
    public async Task<AnthropicKeyStatus> SetAsync(string userId, AnthropicKeyInput input, CancellationToken ct = default)
    {
        InvalidInputException.ThrowIfInvalid(input);
        var apiKey = input.ApiKey!;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AnthropicKeys.SingleOrDefaultAsync(k => k.UserId == userId, ct);
        var protectedKey = _protector.Protect(apiKey);
        var last4 = apiKey[^4..];
        if (row is null)
        {
            row = new AnthropicKey { UserId = userId, ProtectedKey = protectedKey, Last4 = last4 };
            db.AnthropicKeys.Add(row);
        }
        else
        {
            row.ProtectedKey = protectedKey;
            row.Last4 = last4;
        }

        row.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return new AnthropicKeyStatus(true, row.Last4, row.UpdatedAt);
    }

    public async Task<bool> RemoveAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AnthropicKeys.Where(k => k.UserId == userId).ExecuteDeleteAsync(ct) > 0;
    }

    /// <summary>
    /// Whether the account may spend (it exists and is neither disabled nor locked out), and its key in clear, for the
    /// upstream call only (null when the user has none): one query, since every message asks both. The key's version is
    /// when it was set: what tells a file uploaded with it from one uploaded with an earlier key.
    /// </summary>
    internal async Task<(bool Active, string? Key, DateTimeOffset KeyVersion)> RevealAsync(CommandCenterDbContext db, string userId, DateTimeOffset now, CancellationToken ct)
    {
        var account = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new { u.LockoutEnd, Key = db.AnthropicKeys.Where(k => k.UserId == u.Id).Select(k => new { k.ProtectedKey, k.UpdatedAt }).FirstOrDefault() })
            .SingleOrDefaultAsync(ct);
        if (account is null || account.LockoutEnd > now)
        {
            return (false, null, default);
        }

        return (true, account.Key is null ? null : _protector.Unprotect(account.Key.ProtectedKey), account.Key?.UpdatedAt ?? default);
    }
}
