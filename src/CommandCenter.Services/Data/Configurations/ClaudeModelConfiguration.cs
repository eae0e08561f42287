using CommandCenter.Services.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CommandCenter.Services.Data.Configurations;

internal sealed class ClaudeModelConfiguration : IEntityTypeConfiguration<ClaudeModel>
{
    public void Configure(EntityTypeBuilder<ClaudeModel> builder)
    {
        builder.ToTable("models");
        builder.Property(m => m.Id).HasMaxLength(100);
        builder.Property(m => m.DisplayName).HasMaxLength(100);
        builder.Property(m => m.Line).HasMaxLength(32);
        builder.Property(m => m.Status).HasMaxLength(16);
        builder.Property(m => m.Replacement).HasMaxLength(100);
        builder.Property(m => m.Capabilities).HasColumnType("jsonb").HasConversion(JsonColumn.Of<ModelCapabilities>()!);
        builder.HasData(Seed);
    }

    // Anthropic's models as of 2026-12-05, from ../shared/ANTHROPIC.md (its source keys in brackets). A later release's
    // facts come as a later migration's changes to these rows; an admin's refresh from the Models API updates them too.
    private static readonly string[] All = Effort.All;
    private static readonly string[] NoXhigh = ["low", "medium", "high", "max"];
    private static readonly DateTimeOffset Never = default;

    /// <summary>The seeded catalogue (internal for tests that hold it to the facts).</summary>
    internal static readonly ClaudeModel[] Seed =
    [
        // Fable and Mythos 5.x: thinking always on, adaptive only; no sampling; forced tool use refused on 5.1/5.2 [O7, O10, SK, §3].
        Model("claude-fable-5-2", "Claude Fable 5.2", "fable", ModelStatus.Active, new(2026, 11, 9), 1_000_000, 128_000,
            new([ThinkingType.Adaptive], All, "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, ForcedToolChoice: false, SamplingParameters: false)),
        Model("claude-mythos-5-2", "Claude Mythos 5.2", "mythos", ModelStatus.Active, new(2026, 11, 9), 1_000_000, 128_000,
            new([ThinkingType.Adaptive], All, "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, ForcedToolChoice: false, SamplingParameters: false)),
        Model("claude-fable-5-1", "Claude Fable 5.1", "fable", ModelStatus.Legacy, new(2026, 9, 1), 1_000_000, 128_000,
            new([ThinkingType.Adaptive], All, "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, DisplayUpdates: true, ForcedToolChoice: false, SamplingParameters: false)),
        Model("claude-mythos-5-1", "Claude Mythos 5.1", "mythos", ModelStatus.Legacy, new(2026, 9, 1), 1_000_000, 128_000,
            new([ThinkingType.Adaptive], All, "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, DisplayUpdates: true, ForcedToolChoice: false, SamplingParameters: false)),
        Model("claude-fable-5", "Claude Fable 5", "fable", ModelStatus.Legacy, new(2026, 6, 9), 1_000_000, 128_000,
            new([ThinkingType.Adaptive], All, "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, DisplayUpdates: true, SamplingParameters: false)),
        Model("claude-mythos-5", "Claude Mythos 5", "mythos", ModelStatus.Legacy, new(2026, 6, 9), 1_000_000, 128_000,
            new([ThinkingType.Adaptive], All, "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, SamplingParameters: false)),
        // Opus 5.5: always thinks; its text between tool calls comes in thinking blocks [O5, O9].
        Model("claude-opus-5-5", "Claude Opus 5.5", "opus", ModelStatus.Active, new(2026, 9, 22), 1_000_000, 128_000,
            new([ThinkingType.Adaptive], All, "medium", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, DisplayUpdates: true,
                ToolTextInThinking: true, ForcedToolChoice: false, SamplingParameters: false)),
        Model("claude-opus-5", "Claude Opus 5", "opus", ModelStatus.Legacy, new(2026, 7, 24), 1_000_000, 128_000,
            new([ThinkingType.Adaptive, ThinkingType.Disabled], All, "high", DisabledMaxEffort: "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted,
                SamplingParameters: false)),
        Model("claude-opus-4-8", "Claude Opus 4.8", "opus", ModelStatus.Legacy, new(2026, 5, 28), 1_000_000, 128_000,
            new([ThinkingType.Adaptive, ThinkingType.Disabled], All, "high", DisplayDefault: ThinkingDisplay.Omitted, SamplingParameters: false)),
        Model("claude-opus-4-7", "Claude Opus 4.7", "opus", ModelStatus.Legacy, new(2026, 4, 16), 1_000_000, 128_000,
            new([ThinkingType.Adaptive, ThinkingType.Disabled], All, "high", DisplayDefault: ThinkingDisplay.Omitted, SamplingParameters: false)),
        // 4.6: a thinking budget is deprecated but still works; no xhigh [O9, O10].
        Model("claude-opus-4-6", "Claude Opus 4.6", "opus", ModelStatus.Legacy, new(2026, 2, 5), 1_000_000, 128_000,
            new([ThinkingType.Adaptive, ThinkingType.Enabled, ThinkingType.Disabled], NoXhigh, "high")),
        Model("claude-opus-4-5", "Claude Opus 4.5", "opus", ModelStatus.Deprecated, new(2025, 11, 24), 200_000, 64_000,
            new([ThinkingType.Enabled, ThinkingType.Disabled], ["low", "medium", "high"], "high"),
            aliases: ["claude-opus-4-5-20251101"], deprecatedAt: new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero),
            retiresAt: new(2027, 1, 22, 0, 0, 0, TimeSpan.Zero), replacement: "claude-opus-5-5"),
        // Sonnet 5.5: cannot turn thinking off; between_tools instead, up to effort high [O6].
        Model("claude-sonnet-5-5", "Claude Sonnet 5.5", "sonnet", ModelStatus.Active, new(2026, 9, 28), 1_000_000, 128_000,
            new([ThinkingType.Adaptive, ThinkingType.BetweenTools], All, "high", BetweenToolsMaxEffort: "high", ThinksByDefault: true,
                DisplayDefault: ThinkingDisplay.Omitted, DisplayUpdates: true, ToolTextInThinking: true, ForcedToolChoice: false, SamplingParameters: false)),
        Model("claude-sonnet-5", "Claude Sonnet 5", "sonnet", ModelStatus.Legacy, new(2026, 6, 30), 1_000_000, 128_000,
            new([ThinkingType.Adaptive, ThinkingType.Disabled], All, "high", ThinksByDefault: true, DisplayDefault: ThinkingDisplay.Omitted, SamplingParameters: false)),
        // Sonnet 4.6's max output is an open question in ANTHROPIC.md: 64K, as its predecessors.
        Model("claude-sonnet-4-6", "Claude Sonnet 4.6", "sonnet", ModelStatus.Legacy, new(2026, 2, 17), 1_000_000, 64_000,
            new([ThinkingType.Adaptive, ThinkingType.Enabled, ThinkingType.Disabled], NoXhigh, "high")),
        // Haiku 5.5: thinking off only up to effort high; no between_tools; sampling parameters are to be left out [O4, O16].
        Model("claude-haiku-5-5", "Claude Haiku 5.5", "haiku", ModelStatus.Active, new(2026, 10, 7), 1_000_000, 128_000,
            new([ThinkingType.Adaptive, ThinkingType.Disabled], All, "medium", DisabledMaxEffort: "high", ThinksByDefault: true,
                DisplayDefault: ThinkingDisplay.Omitted, SamplingParameters: false)),
        Model("claude-haiku-4-5", "Claude Haiku 4.5", "haiku", ModelStatus.Legacy, new(2025, 10, 15), 200_000, 64_000,
            new([ThinkingType.Enabled, ThinkingType.Disabled], []), aliases: ["claude-haiku-4-5-20251001"]),
        // Retired: kept so old traces keep their model and price [O2, O15].
        Model("claude-sonnet-4-5", "Claude Sonnet 4.5", "sonnet", ModelStatus.Retired, new(2025, 9, 29), 200_000, 64_000,
            new([ThinkingType.Enabled, ThinkingType.Disabled], []), aliases: ["claude-sonnet-4-5-20250929"],
            deprecatedAt: new(2026, 9, 30, 0, 0, 0, TimeSpan.Zero), retiresAt: new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), replacement: "claude-sonnet-5-5"),
        Model("claude-opus-4-1", "Claude Opus 4.1", "opus", ModelStatus.Retired, new(2025, 8, 5), 200_000, 32_000,
            new([ThinkingType.Enabled, ThinkingType.Disabled], []), aliases: ["claude-opus-4-1-20250805"],
            deprecatedAt: new(2026, 6, 5, 0, 0, 0, TimeSpan.Zero), retiresAt: new(2026, 8, 5, 0, 0, 0, TimeSpan.Zero), replacement: "claude-opus-4-8"),
        Model("claude-3-5-haiku", "Claude Haiku 3.5", "haiku", ModelStatus.Retired, new(2024, 10, 22), 200_000, 8_192,
            new([ThinkingType.Disabled], []), aliases: ["claude-3-5-haiku-20241022"],
            deprecatedAt: new(2025, 12, 19, 0, 0, 0, TimeSpan.Zero), retiresAt: new(2026, 2, 19, 0, 0, 0, TimeSpan.Zero), replacement: "claude-haiku-4-5"),
    ];

    private static ClaudeModel Model(
        string id, string name, string line, string status, DateOnly released, int contextWindow, int maxOutput, ModelCapabilities capabilities,
        string[]? aliases = null, DateTimeOffset deprecatedAt = default, DateTimeOffset retiresAt = default, string? replacement = null) => new()
    {
        Id = id, DisplayName = name, Line = line, Status = status, ReleasedOn = released, ContextWindow = contextWindow, MaxOutputTokens = maxOutput,
        Capabilities = capabilities, Aliases = aliases ?? [], DeprecatedAt = deprecatedAt == Never ? null : deprecatedAt,
        RetiresAt = retiresAt == Never ? null : retiresAt, Replacement = replacement,
    };
}
