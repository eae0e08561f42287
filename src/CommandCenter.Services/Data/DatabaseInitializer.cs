using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Traces;
using CommandCenter.Services.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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

    /// <summary>Create an agent ("Assistant", on the current Sonnet) when there is none, so a first start can chat at once.</summary>
    public bool DefaultAgent { get; set; }
}

/// <summary>
/// At start-up, before the app serves anything: create the database if missing, apply migrations, create the roles and
/// the first administrator, and take this instance's lease (see <see cref="StaleTraceReaper"/>, which runs after). Safe when several
/// instances start at once.
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

        await using (var lockConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false }.ConnectionString))
        {
            await lockConnection.OpenAsync(ct);
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", lockConnection))
            {
                await take.ExecuteNonQueryAsync(ct);
            }

            // The lock is released when this connection closes, whatever happens below.
            await CreateMigrationsHistoryAsync(db, ct);
            await db.Database.MigrateAsync(ct);
            await SeedAsync(scope.ServiceProvider, ct);
        }

        await scope.ServiceProvider.GetRequiredService<InstanceLease>().AcquireAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Creates EF's (empty) migrations history table if it is missing, as migrating would. Npgsql's provider finds out whether
    /// it exists by reading it and catching the failure, which EF logs at Error ("Failed executing DbCommand … FROM
    /// "__EFMigrationsHistory"") on every first start: a false alarm on a newcomer's first screen (npgsql/efcore.pg#3407).
    /// With the table there, nothing fails, and a command that really fails still logs at Error, during migration too.
    /// </summary>
    private static async Task CreateMigrationsHistoryAsync(CommandCenterDbContext db, CancellationToken ct) =>
        await db.Database.ExecuteSqlRawAsync(db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript(), ct);

    /// <summary>
    /// Creates the configured database through the server's maintenance database, so a first start on an empty
    /// server works; where that is not allowed (a managed server, say), the database is expected to exist.
    /// </summary>
    private async Task CreateDatabaseIfMissingAsync(CommandCenterDbContext db, CancellationToken ct)
    {
        var target = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString());
        var name = target.Database ?? throw new InvalidOperationException("The connection string names no database.");
        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres", Pooling = false };
        try
        {
            await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
            await connection.OpenAsync(ct);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = name } } };
            if (await exists.ExecuteScalarAsync(ct) is not null)
            {
                return;
            }

            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
            LogCreatedDatabase(logger, name);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another instance created it a moment ago (at the same instant, the catalog's unique index reports it).
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            LogCannotCreateDatabase(logger, name, e.SqlState);
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

        if (seed.Value.DefaultAgent)
        {
            await SeedAgentAsync(scoped, ct);
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

    private async Task SeedAgentAsync(IServiceProvider scoped, CancellationToken ct)
    {
        var db = scoped.GetRequiredService<CommandCenterDbContext>();
        if (await db.Agents.AnyAsync(ct))
        {
            return;
        }

        // Through the catalogue's own rules, so the agent is one its model takes (thinking as the model does by default).
        var agent = await scoped.GetRequiredService<Agents.AgentCatalog>().CreateAsync(new Agents.AgentInput(
            "Assistant", "A general assistant on the current Sonnet.", Models.ModelCatalog.DefaultModel,
            "You are a helpful, concise assistant.", 4_096, Agents.AgentStatus.Active), ct);
        LogSeededAgent(logger, agent.Name, agent.Model);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the agent {Name} on {Model}: there was none")]
    private static partial void LogSeededAgent(ILogger logger, string name, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created database {Database}")]
    private static partial void LogCreatedDatabase(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not check for database {Database} through the maintenance database ({SqlState}); assuming it exists")]
    private static partial void LogCannotCreateDatabase(ILogger logger, string database, string sqlState);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first administrator, {Email}")]
    private static partial void LogSeededAdmin(ILogger logger, string email);
}
