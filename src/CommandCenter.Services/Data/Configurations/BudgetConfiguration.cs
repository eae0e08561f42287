using CommandCenter.Services.Budgets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class BudgetConfiguration : IEntityTypeConfiguration<Budget>
{
    public void Configure(EntityTypeBuilder<Budget> builder)
    {
        builder.ToTable("budgets");
        builder.HasKey(b => new { b.Scope, b.SubjectId });
        builder.Property(b => b.Scope).HasMaxLength(16);
        builder.Property(b => b.SubjectId).HasMaxLength(450);
        builder.Property(b => b.MonthlyLimit).HasPrecision(18, 6);
        builder.HasIndex(b => b.SubjectId);
    }
}

internal sealed class BudgetChargeConfiguration : IEntityTypeConfiguration<BudgetCharge>
{
    public void Configure(EntityTypeBuilder<BudgetCharge> builder)
    {
        builder.ToTable("budget_charges");
        builder.HasKey(c => new { c.TraceId, c.Scope, c.SubjectId });
        builder.Property(c => c.TraceId).HasMaxLength(64);
        builder.Property(c => c.Scope).HasMaxLength(16);
        builder.Property(c => c.SubjectId).HasMaxLength(450);
        builder.Property(c => c.Amount).HasPrecision(18, 6);
        // A month's spend of one budget, summed under its lock before every budgeted reply.
        builder.HasIndex(c => new { c.SubjectId, c.Month, c.Scope }).IncludeProperties(c => new { c.Amount, c.Settled });
        builder.HasIndex(c => c.InstanceKey).HasFilter("NOT settled");
    }
}
