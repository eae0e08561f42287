using CommandCenter.Services.Files;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class FileConfiguration : IEntityTypeConfiguration<StoredFile>
{
    public void Configure(EntityTypeBuilder<StoredFile> builder)
    {
        builder.ToTable("files");
        builder.Property(f => f.Id).HasMaxLength(64);
        builder.Property(f => f.Name).HasMaxLength(FilesOptions.MaxNameLength);
        builder.Property(f => f.MediaType).HasMaxLength(64);
        builder.Property(f => f.Sha256).HasMaxLength(64);
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(f => f.OwnerId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => new { f.OwnerId, f.Sha256 }).IsUnique();
    }
}

internal sealed class AnthropicFileCopyConfiguration : IEntityTypeConfiguration<AnthropicFileCopy>
{
    public void Configure(EntityTypeBuilder<AnthropicFileCopy> builder)
    {
        builder.ToTable("anthropic_files");
        builder.HasKey(c => new { c.FileId, c.KeyVersion });
        builder.Property(c => c.AnthropicFileId).HasMaxLength(128);
        builder.HasOne<StoredFile>().WithMany().HasForeignKey(c => c.FileId).OnDelete(DeleteBehavior.Cascade);
    }
}
