using CommandCenter.Services.AnthropicKeys;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class AnthropicKeyConfiguration : IEntityTypeConfiguration<AnthropicKey>
{
    public void Configure(EntityTypeBuilder<AnthropicKey> builder)
    {
        builder.ToTable("anthropic_api_keys");
        builder.HasKey(k => k.UserId);
        builder.Property(k => k.Last4).HasMaxLength(4);
        builder.HasOne<ApplicationUser>().WithOne().HasForeignKey<AnthropicKey>(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
