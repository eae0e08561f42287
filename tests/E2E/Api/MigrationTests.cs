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

        // The first install's rows are kept as they were, their cache rates now explicit (then 1.25×, 2× and 0.1× input).
        var first = await app.Database.QueryAsync(
            "SELECT model, \"inputPerMTok\", \"cacheWrite5mPerMTok\", \"cacheWrite1hPerMTok\", \"cacheReadPerMTok\", \"outputPerMTok\" FROM model_prices WHERE id <= 5 ORDER BY model");
        first.Select(p => ((string)p["model"]!, (decimal)p["inputPerMTok"]!, (decimal)p["cacheWrite5mPerMTok"]!, (decimal)p["cacheWrite1hPerMTok"]!, (decimal)p["cacheReadPerMTok"]!, (decimal)p["outputPerMTok"]!))
            .ShouldBe(
            [
                ("claude-3-5-haiku", 0.8m, 1m, 1.6m, 0.08m, 4m),
                ("claude-haiku-4-5", 1m, 1.25m, 2m, 0.1m, 5m),
                ("claude-opus-4-1", 15m, 18.75m, 30m, 1.5m, 75m),
                ("claude-opus-4-6", 5m, 6.25m, 10m, 0.5m, 25m),
                ("claude-sonnet-4-5", 3m, 3.75m, 6m, 0.3m, 15m),
            ]);
    }

    [Fact]
    public async Task AFirstStartLogsNoFailedCommandAndAFailedCommandLaterStillLogsAnError()
    {
        // The fixture's app started on a database that did not exist: nothing EF ran on the way failed, not even the read of
        // the migrations history that Npgsql's provider uses to find out whether it exists.
        var atStart = app.Logs.Lines.ToList();
        atStart.ShouldContain(l => l.Contains("__EFMigrationsHistory"), "the history was read and written (EF logs its commands at Trace)");
        atStart.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal))
            .Where(l => l.Contains(" Microsoft.EntityFrameworkCore", StringComparison.Ordinal) || l.Contains("__EFMigrationsHistory", StringComparison.Ordinal))
            .ShouldBeEmpty();

        // A command that fails once the app runs is still an error in the log.
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommandCenterDbContext>();
        await Should.ThrowAsync<Npgsql.PostgresException>(() => db.Database.ExecuteSqlRawAsync("SELECT * FROM no_such_table", TestContext.Current.CancellationToken));
        await app.Logs.WaitForAsync(
            l => l.StartsWith("Error Microsoft.EntityFrameworkCore.Database.Command: Failed executing DbCommand", StringComparison.Ordinal) && l.Contains("no_such_table"),
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TodaysClaudeKeepsAnInstallsOwnPricesAndEveryTracesCostAndMakesItsRatesExplicit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = TestDatabase.Reserve();
        await using var db = new CommandCenterDbContext(new DbContextOptionsBuilder<CommandCenterDbContext>().UseNpgsql(database.ConnectionString).Options);
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        var migrations = db.Database.GetMigrations().ToList();
        await migrator.MigrateAsync(migrations[migrations.FindIndex(m => m.EndsWith("_TodaysClaude", StringComparison.Ordinal)) - 1], ct);
        // An admin had typed in Sonnet 5.5 (taking id 6, which a seed by id would also want) and it was charged at 0.1× reads;
        // a Sonnet 4.5 trace was charged at its long-context tier.
        await database.QueryAsync(
            """
            INSERT INTO model_prices (model, "inputPerMTok", "outputPerMTok", "contextWindow", "effectiveFrom") VALUES ('claude-sonnet-5-5', 2, 10, 1000000, '2026-10-01Z');
            INSERT INTO task_trace (id, "ownerId", "masterAgentId", instruction, status, "totalCost", "totalTokens", "instanceKey", "startedAt", "createdAt")
            VALUES ('t1', 'owner-1', 'agent-1', 'Hi', 'completed', 1.2435, 211000, 0, now(), now());
            INSERT INTO trace_sessions (id, "taskTraceId", "ownerId", "agentId", instruction, status, "modelUsed", "sessionType", cost, "tokensIn", "tokensOut",
                "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "modelPriceId", "inputPricePerMTok", "outputPricePerMTok",
                "historyMessagesSent", "historyMessagesTrimmed", "startedAt", "createdAt")
            VALUES ('s1', 't1', 'owner-1', 'agent-1', 'Hi', 'success', 'claude-sonnet-4-5', 'command-center', 1.2435, 150000, 1000, 0, 0, 60000, 2, 6, 22.5, 0, 0, now(), now());
            """);

        await db.Database.MigrateAsync(ct);

        var own = await database.SingleAsync("SELECT id, \"cacheReadPerMTok\" FROM model_prices WHERE model = 'claude-sonnet-5-5' AND \"effectiveFrom\" = '2026-10-01Z'");
        (own["id"], own["cacheReadPerMTok"]).ShouldBe(((object?)6, (object?)0.2m), "the install's own row is kept, at what it charged");
        var session = await database.SingleAsync(
            "SELECT cost, \"inputPricePerMTok\", \"cacheWrite5mPricePerMTok\", \"cacheWrite1hPricePerMTok\", \"cacheReadPricePerMTok\", \"outputPricePerMTok\", \"priceTierApplied\" FROM trace_sessions WHERE id = 's1'");
        session.Values.ShouldBe([1.2435m, 6m, 7.5m, 12m, 0.6m, 22.5m, true]);
        (await database.SingleAsync("SELECT \"totalCost\" FROM task_trace WHERE id = 't1'"))["totalCost"].ShouldBe(1.2435m);
        // Today's rows came in beside it with ids of their own; Sonnet 5.5's from its release and at 0.05× reads from 2026-10-07.
        var sonnet = await database.QueryAsync("SELECT \"effectiveFrom\", \"cacheReadPerMTok\" FROM model_prices WHERE model = 'claude-sonnet-5-5' ORDER BY \"effectiveFrom\"");
        sonnet.Select(r => (((DateTime)r["effectiveFrom"]!).ToString("yyyy-MM-dd"), (decimal)r["cacheReadPerMTok"]!)).ShouldBe(
            [("2026-09-28", 0.2m), ("2026-10-01", 0.2m), ("2026-10-07", 0.1m)]);
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
    public async Task QuestionsEditedBeforeVersionsWereKeptNameTheirFirstVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = TestDatabase.Reserve();
        await using var db = new CommandCenterDbContext(new DbContextOptionsBuilder<CommandCenterDbContext>().UseNpgsql(database.ConnectionString).Options);
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        var migrations = db.Database.GetMigrations().ToList();
        await migrator.MigrateAsync(migrations[migrations.FindIndex(m => m.EndsWith("_QuestionVersions", StringComparison.Ordinal)) - 1], ct);
        // q2 was edited twice (q2b, then q2c), and the conversation went on (q3); c2's one question was never edited.
        // The owner and agent are left out (no foreign key checks in this session): only the messages matter here.
        await database.QueryAsync(
            """
            SET session_replication_role = replica;
            INSERT INTO conversations (id, "ownerId", "agentId", title, archived, "createdAt", "updatedAt")
            VALUES ('c1', 'owner-1', 'agent-1', 'One', false, now(), now()), ('c2', 'owner-1', 'agent-1', 'Alone', false, now(), now());
            INSERT INTO messages (id, "conversationId", position, role, content, status, "inputTokens", "outputTokens", "cacheWriteTokens", "cacheReadTokens",
                "costEstimated", "createdAt", "replyToId", superseded)
            SELECT id, conversation, position, role, id, 'complete', 0, 0, 0, 0, false, now(), reply_to, superseded FROM (VALUES
                ('q1', 'c1', 0, 'user', NULL, false), ('a1', 'c1', 1, 'assistant', 'q1', false),
                ('q2', 'c1', 2, 'user', NULL, true), ('a2', 'c1', 3, 'assistant', 'q2', true),
                ('q2b', 'c1', 4, 'user', NULL, true), ('a3', 'c1', 5, 'assistant', 'q2b', true),
                ('q2c', 'c1', 6, 'user', NULL, false), ('a4', 'c1', 7, 'assistant', 'q2c', false),
                ('q3', 'c1', 8, 'user', NULL, false), ('a5', 'c1', 9, 'assistant', 'q3', false),
                ('x1', 'c2', 0, 'user', NULL, false), ('y1', 'c2', 1, 'assistant', 'x1', false)
            ) AS m (id, conversation, position, role, reply_to, superseded);
            """);

        await db.Database.MigrateAsync(ct);

        var versions = await database.QueryAsync("SELECT id, \"versionOfId\" FROM messages ORDER BY \"conversationId\", position");
        versions.Select(v => ((string)v["id"]!, (string?)v["versionOfId"])).ShouldBe(
        [
            ("q1", null), ("a1", null), ("q2", null), ("a2", null), ("q2b", "q2"), ("a3", null), ("q2c", "q2"), ("a4", null), ("q3", null), ("a5", null),
            ("x1", null), ("y1", null),
        ]);
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
