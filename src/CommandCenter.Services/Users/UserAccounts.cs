using CommandCenter.Services.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Users;

public sealed record UserView(string Id, string Email, string Role, bool Disabled);

public sealed record UserCreateResult(UserView? User, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>Accounts as admins manage them: no self-registration, so this is how operators arrive.</summary>
public sealed class UserAccounts(UserManager<ApplicationUser> users, TimeProvider clock)
{
    // A disabled account is one locked out "forever"; failed-login lockouts last minutes.
    private static readonly DateTimeOffset DisabledUntil = DateTimeOffset.MaxValue;

    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken ct = default)
    {
        var all = await users.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var result = new List<UserView>(all.Count);
        foreach (var user in all)
        {
            result.Add(await ViewAsync(user));
        }

        return result;
    }

    public async Task<UserCreateResult> CreateAsync(string? email, string? password, string? role)
    {
        var errors = new Dictionary<string, string[]>();
        var canonicalRole = Roles.All.FirstOrDefault(r => string.Equals(r, role?.Trim(), StringComparison.OrdinalIgnoreCase));
        if (string.IsNullOrWhiteSpace(email) || !new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(email))
        {
            errors["email"] = ["A valid email address is required."];
        }

        if (string.IsNullOrEmpty(password))
        {
            errors["password"] = ["A password is required."];
        }

        if (canonicalRole is null)
        {
            errors["role"] = [$"The role must be {string.Join(" or ", Roles.All)}."];
        }

        if (errors.Count == 0 && await users.FindByEmailAsync(email!) is not null)
        {
            errors["email"] = [$"A user with the email {email} already exists."];
        }

        if (errors.Count > 0)
        {
            return new UserCreateResult(null, errors);
        }

        var user = new ApplicationUser { UserName = email!.Trim(), Email = email.Trim(), EmailConfirmed = true };
        var created = await users.CreateAsync(user, password!);
        if (!created.Succeeded)
        {
            var field = created.Errors.All(e => e.Code.StartsWith("Password", StringComparison.Ordinal)) ? "password" : "email";
            return new UserCreateResult(null, new Dictionary<string, string[]> { [field] = [.. created.Errors.Select(e => e.Description)] });
        }

        await users.AddToRoleAsync(user, canonicalRole!);
        return new UserCreateResult(new UserView(user.Id, user.Email!, canonicalRole!, false), errors);
    }

    /// <summary>Disables or re-enables an account; a disabled user cannot sign in and their refresh tokens stop working.</summary>
    public async Task<UserView?> SetDisabledAsync(string userId, bool disabled)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return null;
        }

        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, disabled ? DisabledUntil : null);
        await users.ResetAccessFailedCountAsync(user);
        await users.UpdateSecurityStampAsync(user);
        return await ViewAsync(user);
    }

    public bool IsDisabled(ApplicationUser user) => user.LockoutEnd is { } end && end > clock.GetUtcNow().AddYears(100);

    private async Task<UserView> ViewAsync(ApplicationUser user)
    {
        var roles = await users.GetRolesAsync(user);
        return new UserView(user.Id, user.Email ?? user.UserName ?? user.Id, roles.FirstOrDefault() ?? "", IsDisabled(user));
    }
}
