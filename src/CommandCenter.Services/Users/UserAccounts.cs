using CommandCenter.Services.Data;
using CommandCenter.Services.Streaming;
using CommandCenter.Services.Validation;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommandCenter.Services.Users;

public sealed record UserView(string Id, string Email, string Role, bool Disabled);

/// <summary>
/// Accounts as admins manage them: no self-registration, so this is how operators arrive. A singleton that takes a
/// fresh scope (Identity's UserManager and its DbContext) per operation, so a page never holds a context across events.
/// </summary>
public sealed class UserAccounts(IServiceScopeFactory scopes, IDbContextFactory<CommandCenterDbContext> dbFactory, LiveReplies live, ShortCache cache, TimeProvider clock)
{
    // A disabled account is one locked out "forever"; failed-login lockouts last minutes.
    private static readonly DateTimeOffset DisabledUntil = DateTimeOffset.MaxValue;

    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Users.AsNoTracking()
            .OrderBy(u => u.Email)
            .Select(u => new
            {
                u.Id,
                Email = u.Email ?? u.UserName ?? u.Id,
                u.LockoutEnd,
                Role = db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name).FirstOrDefault(),
            })
            .ToListAsync(ct);
        return [.. rows.Select(r => new UserView(r.Id, r.Email, r.Role ?? "", IsDisabled(r.LockoutEnd)))];
    }

    /// <summary>Creates a confirmed account with its role; Identity's password rules apply.</summary>
    /// <exception cref="InvalidInputException">A rule is broken, or the email is taken.</exception>
    public async Task<UserView> CreateAsync(NewUser input)
    {
        InvalidInputException.ThrowIfInvalid(input);
        var email = input.Email!.Trim();
        var role = Roles.All.First(r => string.Equals(r, input.Role!.Trim(), StringComparison.OrdinalIgnoreCase));
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByEmailAsync(email) is not null)
        {
            throw InvalidInputException.For("email", $"A user with the email {email} already exists.");
        }

        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true };
        var created = await users.CreateAsync(user, input.Password!);
        if (!created.Succeeded)
        {
            var field = created.Errors.All(e => e.Code.StartsWith("Password", StringComparison.Ordinal)) ? "password" : "email";
            throw new InvalidInputException(new Dictionary<string, string[]> { [field] = [.. created.Errors.Select(e => e.Description)] });
        }

        await users.AddToRoleAsync(user, role);
        return new UserView(user.Id, user.Email!, role, false);
    }

    /// <summary>
    /// Disables or re-enables an account in one update: a disabled user cannot sign in or send, the new security stamp
    /// ends their tokens and UI sessions, and their live replies are stopped. Null when there is no such user.
    /// </summary>
    /// <exception cref="InvalidInputException">The caller tried to disable their own account.</exception>
    public async Task<UserView?> SetDisabledAsync(string callerId, string userId, bool disabled)
    {
        if (disabled && userId == callerId)
        {
            // Otherwise the last administrator could lock everyone out of administration.
            throw InvalidInputException.For("id", "You cannot disable your own account.");
        }

        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return null;
        }

        user.LockoutEnabled = true;
        user.LockoutEnd = disabled ? DisabledUntil : null;
        user.AccessFailedCount = 0;
        var updated = await users.UpdateSecurityStampAsync(user);
        if (!updated.Succeeded)
        {
            throw new InvalidOperationException($"Could not update user {userId}: {string.Join(" ", updated.Errors.Select(e => e.Description))}");
        }

        cache.Evict(ShortCache.SignIn(userId));
        if (disabled)
        {
            live.StopAll(userId, ReplyStop.AccountDisabled);
        }

        var roles = await users.GetRolesAsync(user);
        return new UserView(user.Id, user.Email ?? user.Id, roles.FirstOrDefault() ?? "", disabled);
    }

    /// <summary>Gives the account one role instead of another; its sessions and tokens are re-checked (new security stamp). Null when there is no such user.</summary>
    /// <exception cref="InvalidInputException">Not a role, or an admin taking the Admin role from their own account.</exception>
    public async Task<UserView?> SetRoleAsync(string callerId, string userId, RoleChange change)
    {
        InvalidInputException.ThrowIfInvalid(change);
        var role = Roles.All.First(r => string.Equals(r, change.Role!.Trim(), StringComparison.OrdinalIgnoreCase));
        if (userId == callerId && role != Roles.Admin)
        {
            // Otherwise the last administrator could leave nobody to administer.
            throw InvalidInputException.For("role", "You cannot take the Admin role from your own account.");
        }

        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return null;
        }

        var current = await users.GetRolesAsync(user);
        if (!current.SequenceEqual([role]))
        {
            Check(await users.RemoveFromRolesAsync(user, current), userId);
            Check(await users.AddToRoleAsync(user, role), userId);
            Check(await users.UpdateSecurityStampAsync(user), userId);
            cache.Evict(ShortCache.SignIn(userId));
        }

        return new UserView(user.Id, user.Email ?? user.Id, role, IsDisabled(user.LockoutEnd));
    }

    /// <summary>
    /// Sets a new password (Identity's rules apply) and ends the account's sessions and tokens, whoever held them.
    /// False when there is no such user.
    /// </summary>
    /// <exception cref="InvalidInputException">The password breaks a rule; nothing changed.</exception>
    public async Task<bool> ResetPasswordAsync(string userId, PasswordReset reset)
    {
        InvalidInputException.ThrowIfInvalid(reset);
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return false;
        }

        var token = await users.GeneratePasswordResetTokenAsync(user);
        var result = await users.ResetPasswordAsync(user, token, reset.Password!);
        if (!result.Succeeded)
        {
            throw new InvalidInputException(new Dictionary<string, string[]> { ["password"] = [.. result.Errors.Select(e => e.Description)] });
        }

        await users.ResetAccessFailedCountAsync(user);
        cache.Evict(ShortCache.SignIn(userId));
        return true;
    }

    private static void Check(IdentityResult result, string userId)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not update user {userId}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }

    private bool IsDisabled(DateTimeOffset? lockoutEnd) => lockoutEnd is { } end && end > clock.GetUtcNow().AddYears(100);
}
