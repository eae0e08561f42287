using CommandCenter.Services.IntegrationKeys;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class IntegrationKeyConfiguration : IEntityTypeConfiguration<IntegrationKey>
{
    public void Configure(EntityTypeBuilder<IntegrationKey> builder)
    {
        builder.ToTable("integration_keys");
        builder.Property(k => k.Id).HasMaxLength(64);
        builder.Property(k => k.Name).HasMaxLength(100);
        builder.Property(k => k.Prefix).HasMaxLength(16);
        builder.Property(k => k.Hash).HasMaxLength(64);
        builder.HasIndex(k => k.Hash).IsUnique();
        builder.HasIndex(k => k.OwnerId);
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(k => k.OwnerId).OnDelete(DeleteBehavior.Cascade);
    }
}
