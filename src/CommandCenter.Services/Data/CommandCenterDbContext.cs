using System.Text.Json;
using CommandCenter.Services.Agents;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.IntegrationKeys;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Traces;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Data;

/// <remarks>
/// Add a migration with:
/// <c>dotnet ef migrations add NAME --project src/CommandCenter.Services --output-dir Data/Migrations</c>
/// </remarks>
public sealed class CommandCenterDbContext(DbContextOptions<CommandCenterDbContext> options)
    : IdentityDbContext<ApplicationUser>(options), IDataProtectionKeyContext
{
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<ModelPrice> ModelPrices => Set<ModelPrice>();
    public DbSet<Models.ClaudeModel> Models => Set<Models.ClaudeModel>();
    public DbSet<ToolPrice> ToolPrices => Set<ToolPrice>();
    public DbSet<AnthropicKey> AnthropicKeys => Set<AnthropicKey>();
    public DbSet<TaskTrace> TaskTraces => Set<TaskTrace>();
    public DbSet<TraceSession> TraceSessions => Set<TraceSession>();
    public DbSet<Conversation> Conversations => Set<Conversation>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Budget> Budgets => Set<Budget>();
    public DbSet<BudgetCharge> BudgetCharges => Set<BudgetCharge>();
    public DbSet<IntegrationKey> IntegrationKeys => Set<IntegrationKey>();
    public DbSet<Files.StoredFile> Files => Set<Files.StoredFile>();
    public DbSet<Files.AnthropicFileCopy> AnthropicFiles => Set<Files.AnthropicFileCopy>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(CommandCenterDbContext).Assembly);

        // Our own tables use camelCase columns, as the spec's verification SQL expects of task_trace and trace_sessions;
        // Identity's tables keep the names its template gives them.
        foreach (var entity in builder.Model.GetEntityTypes().Where(e => e.ClrType.Namespace?.StartsWith("CommandCenter.", StringComparison.Ordinal) == true && e.ClrType != typeof(ApplicationUser)))
        {
            // A column named explicitly (one that kept its name when its property was renamed) keeps that name.
            foreach (var property in entity.GetProperties().Where(p => p.GetColumnName() == p.Name))
            {
                property.SetColumnName(JsonNamingPolicy.CamelCase.ConvertName(property.Name));
            }
        }
    }
}
