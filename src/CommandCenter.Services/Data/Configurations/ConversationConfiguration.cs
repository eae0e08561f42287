using CommandCenter.Services.Agents;
using CommandCenter.Services.Conversations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class ConversationConfiguration : IEntityTypeConfiguration<Conversation>
{
    public void Configure(EntityTypeBuilder<Conversation> builder)
    {
        builder.ToTable("conversations");
        builder.Property(c => c.Id).HasMaxLength(64);
        builder.Property(c => c.Title).HasMaxLength(200);
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(c => c.OwnerId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Agent>().WithMany().HasForeignKey(c => c.AgentId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(c => c.Messages).WithOne().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(c => new { c.OwnerId, c.UpdatedAt });
    }
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> builder)
    {
        builder.ToTable("messages");
        builder.Property(m => m.Id).HasMaxLength(64);
        builder.Property(m => m.Role).HasMaxLength(16);
        builder.Property(m => m.Status).HasMaxLength(16);
        builder.Property(m => m.ReplyToId).HasMaxLength(64);
        builder.Property(m => m.VersionOfId).HasMaxLength(64);
        builder.Property(m => m.ChosenReplyId).HasMaxLength(64);
        builder.Property(m => m.Cost).HasPrecision(18, 6);
        builder.Property(m => m.Activity).HasColumnType("jsonb").HasConversion(JsonColumn.Of<ReplyActivity>());
        builder.Property(m => m.Attachments).HasColumnType("jsonb").HasConversion(JsonColumn.Of<IReadOnlyList<Files.Attachment>>(), JsonColumn.Comparer<IReadOnlyList<Files.Attachment>>());
        // Whether any message still carries a file: jsonb containment (@>), which this index answers.
        builder.HasIndex(m => m.Attachments).HasMethod("gin").HasOperators("jsonb_path_ops");
        builder.HasIndex(m => new { m.ConversationId, m.Position }).IsUnique();
        builder.HasIndex(m => m.TaskTraceId);
    }
}
