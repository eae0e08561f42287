using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Traces;
using CommandCenter.Services.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommandCenter.Services.Data;

public sealed class SeedOptions
{
    public const string Section = "Seed";

    [EmailAddress]
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }
}

/// <summary>
/// At start-up, before the app serves anything: create the database if missing, apply migrations, create the roles and
/// the first administrator, and settle traces a dead process left running. Safe when several instances start at once.
/// </summary>
internal sealed partial class DatabaseInitializer(IServiceProvider services, IOptions<SeedOptions> seed, ILogger<DatabaseInitializer> logger) : IHostedService
{
    // Any constant that no other advisory lock of ours uses (see InstanceLease: random positive keys).
    private const long MigrationLockKey = -7_302_115_446_120_113_001;

    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommandCenterDbContext>();
        await CreateDatabaseIfMissingAsync(db, ct);

        await using (var lockConnection = new NpgsqlConnection(db.Database.GetConnectionString()))
        {
            await lockConnection.OpenAsync(ct);
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", lockConnection))
            {
                await take.ExecuteNonQueryAsync(ct);
            }

            // The lock is released when this connection closes, whatever happens below.
            await db.Database.MigrateAsync(ct);
            await SeedAsync(scope.ServiceProvider, ct);
        }

        await scope.ServiceProvider.GetRequiredService<InstanceLease>().AcquireAsync(ct);
        await scope.ServiceProvider.GetRequiredService<StaleTraceReaper>().ReapAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private static async Task CreateDatabaseIfMissingAsync(CommandCenterDbContext db, CancellationToken ct)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (await creator.ExistsAsync(ct))
        {
            return;
        }

        try
        {
            await creator.CreateAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another instance created it a moment ago.
        }
    }

    private async Task SeedAsync(IServiceProvider scoped, CancellationToken ct)
    {
        var roles = scoped.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        var users = scoped.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.Users.AnyAsync(ct) || seed.Value is not { AdminEmail: { Length: > 0 } email, AdminPassword: { Length: > 0 } password })
        {
            return;
        }

        var admin = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
        {
            throw new InvalidOperationException($"Could not create the seed administrator {email}: {string.Join(" ", created.Errors.Select(e => e.Description))}");
        }

        await users.AddToRoleAsync(admin, Roles.Admin);
        LogSeededAdmin(logger, email);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first administrator, {Email}")]
    private static partial void LogSeededAdmin(ILogger logger, string email);
}
