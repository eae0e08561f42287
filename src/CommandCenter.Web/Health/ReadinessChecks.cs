using CommandCenter.Services.Data;
using CommandCenter.Services.Streaming;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CommandCenter.Web.Health;

/// <summary>
/// <c>/health/live</c>: the process answers (no check runs). <c>/health/ready</c>: the database answers, every migration
/// is applied, and the instance is not draining for shutdown, so a load balancer sends it no new work then.
/// <c>/health</c> stays the database check alone.
/// </summary>
internal static class ReadinessChecks
{
    private const string Ready = "ready";

    public static IHealthChecksBuilder AddCommandCenterHealthChecks(this IServiceCollection services) => services.AddHealthChecks()
        .AddDbContextCheck<CommandCenterDbContext>("database", tags: [Ready])
        .AddCheck<MigrationsApplied>("migrations", tags: [Ready])
        .AddCheck<NotDraining>("draining", tags: [Ready]);

    public static void MapCommandCenterHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = check => check.Name == "database" });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready) });
    }

    private sealed class MigrationsApplied(IDbContextFactory<CommandCenterDbContext> dbFactory) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            return pending.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{pending.Count} migrations not applied yet, the first {pending[0]}.");
        }
    }

    private sealed class NotDraining(LiveReplies live) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            Task.FromResult(live.IsDraining ? HealthCheckResult.Unhealthy("Draining for shutdown: new replies are refused.") : HealthCheckResult.Healthy());
    }
}
