using System.Net;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

public sealed class HealthTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task ARunningInstanceWithItsMigrationsAppliedIsLiveAndReadyWithoutSigningIn(string path)
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe("Healthy");
    }

    [Fact]
    public async Task ReadinessFailsWhileAMigrationIsMissing()
    {
        // As if this build were newer than the database: its last migration not yet recorded.
        var last = (string)(await app.Database.SingleAsync("SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\" DESC LIMIT 1"))["MigrationId"]!;
        await app.Database.QueryAsync("DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = $1", last);
        try
        {
            using var client = app.CreateClient();
            (await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            (await client.GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await app.Database.QueryAsync("INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ($1, '10.0.0')", last);
        }
    }
}
