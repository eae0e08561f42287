using CommandCenter.E2E.Infrastructure;
using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CommandCenter.E2E.Api;

public sealed class MigrationTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task StartUpCreatesAndMigratesAnEmptyDatabase()
    {
        // The fixture's database did not exist until the app started.
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommandCenterDbContext>();
        (await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken)).ShouldBeEmpty();
        (await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken)).ShouldBe(db.Database.GetMigrations());

        var columns = await app.Database.QueryAsync(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_name IN ('task_trace', 'trace_sessions')");
        var byTable = columns.GroupBy(c => (string)c["table_name"]!).ToDictionary(g => g.Key, g => g.Select(c => (string)c["column_name"]!).ToHashSet());
        new[] { "id", "ownerId", "masterAgentId", "instruction", "status", "totalCost", "totalTokens", "startedAt", "completedAt", "createdAt" }.ShouldBeSubsetOf(byTable["task_trace"]);
        new[] { "id", "taskTraceId", "agentId", "instruction", "status", "modelUsed", "sessionType", "cost", "tokensIn", "tokensOut", "durationMs", "startedAt", "completedAt", "createdAt" }.ShouldBeSubsetOf(byTable["trace_sessions"]);

        var prices = await app.Database.QueryAsync("SELECT model, \"inputPerMTok\", \"outputPerMTok\" FROM model_prices ORDER BY model");
        prices.Select(p => ((string)p["model"]!, (decimal)p["inputPerMTok"]!, (decimal)p["outputPerMTok"]!)).ShouldBe(
        [
            ("claude-3-5-haiku", 0.8m, 4m),
            ("claude-haiku-4-5", 1m, 5m),
            ("claude-opus-4-1", 15m, 75m),
            ("claude-opus-4-6", 5m, 25m),
            ("claude-sonnet-4-5", 3m, 15m),
        ]);
    }

    [Fact]
    public async Task SessionsRecordedBeforeTheUsageIndexTakeTheirTracesOwner()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = TestDatabase.Reserve();
        await using var db = new CommandCenterDbContext(new DbContextOptionsBuilder<CommandCenterDbContext>().UseNpgsql(database.ConnectionString).Options);
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        var migrations = db.Database.GetMigrations().ToList();
        await migrator.MigrateAsync(migrations[migrations.FindIndex(m => m.EndsWith("_UsageIndex", StringComparison.Ordinal)) - 1], ct);
        await database.QueryAsync(
            """
            INSERT INTO task_trace (id, "ownerId", "masterAgentId", instruction, status, "totalCost", "totalTokens", "instanceKey", "startedAt", "createdAt")
            VALUES ('t1', 'owner-1', 'agent-1', 'Hi', 'completed', 0.000315, 57, 0, now(), now());
            INSERT INTO trace_sessions (id, "taskTraceId", "agentId", instruction, status, "modelUsed", "sessionType", cost, "tokensIn", "tokensOut",
                "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "modelPriceId", "inputPricePerMTok", "outputPricePerMTok",
                "historyMessagesSent", "historyMessagesTrimmed", "startedAt", "createdAt")
            VALUES ('s1', 't1', 'agent-1', 'Hi', 'success', 'claude-sonnet-4-5', 'command-center', 0.000315, 45, 12, 0, 0, 0, 1, 3, 15, 0, 0, now(), now());
            """);

        await db.Database.MigrateAsync(ct);

        (await database.SingleAsync("SELECT \"ownerId\" FROM trace_sessions WHERE id = 's1'"))["ownerId"].ShouldBe("owner-1");
    }

    [Fact]
    public async Task TwoInstancesStartingTogetherOnAFreshDatabaseBothComeUp()
    {
        await using var database = TestDatabase.Reserve();
        var fresh = new FreshDatabaseApp(database);
        var twin = new FreshDatabaseApp(database);

        var ct = TestContext.Current.CancellationToken;
        await Task.WhenAll(Task.Run(async () => await fresh.InitializeAsync(), ct), Task.Run(async () => await twin.InitializeAsync(), ct));
        try
        {
            (await fresh.LoginAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword)).ShouldNotBeNullOrEmpty();
            (await twin.LoginAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword)).ShouldNotBeNullOrEmpty();
            (await database.QueryAsync("SELECT 1 FROM \"AspNetUsers\"")).Count.ShouldBe(1);
            (await database.QueryAsync("SELECT 1 FROM \"AspNetRoles\"")).Count.ShouldBe(2);
        }
        finally
        {
            await fresh.DisposeAsync();
            await twin.DisposeAsync();
        }
    }

    private sealed class FreshDatabaseApp(TestDatabase database) : CommandCenterApp
    {
        protected override TestDatabase CreateDatabase() => database;

        protected override bool OwnsDatabase => false;
    }
}
