namespace CommandCenter.FakeAnthropic;

/// <summary>
/// The models Anthropic's API knows as of 2026-12 and what each accepts (ANTHROPIC.md §1–§3; the source keys are that
/// file's). A model not in this table is accepted with no per-model rules at all: tests use made-up names such as
/// <c>claude-test-…</c>, and the fake must not refuse them.
/// </summary>
internal static class FakeModels
{
    /// <summary>Effort levels from lowest to highest; a model's <see cref="FakeModel.Efforts"/> is a subset.</summary>
    public static readonly string[] AllEfforts = ["low", "medium", "high", "xhigh", "max"];

    public const string UpdatesBeta = "thinking-display-updates-2026-08-18";

    private static readonly string[] Adaptive = ["adaptive"];
    private static readonly string[] AdaptiveOrDisabled = ["adaptive", "disabled"];

    // Fable and Mythos share one spec sheet (O7, O18); "updates" display: Fable 5/5.1, Mythos 5.1 (O17);
    // forced tool_choice refused on 5.1/5.2 (O5, O6, T9); adaptive thinking always on, effort low–max / high (O7, O10, SK).
    private static FakeModel Fable(string id, bool updates, bool refusesForcedToolChoice) => new()
    {
        Id = id,
        ThinkingTypes = Adaptive,
        DefaultEffort = "high",
        SupportsUpdatesDisplay = updates,
        RefusesForcedToolChoice = refusesForcedToolChoice,
        Sampling = FakeSampling.Refused, // O2, O16
    };

    private static FakeModel Retired(string id, string alias) => new() { Id = id, Aliases = [alias], Retired = true, Efforts = [] };

    private static readonly FakeModel[] Table =
    [
        Fable("claude-fable-5-2", updates: false, refusesForcedToolChoice: true),
        Fable("claude-fable-5-1", updates: true, refusesForcedToolChoice: true),
        Fable("claude-fable-5", updates: true, refusesForcedToolChoice: false),
        Fable("claude-mythos-5-2", updates: false, refusesForcedToolChoice: true),
        Fable("claude-mythos-5-1", updates: true, refusesForcedToolChoice: true),
        Fable("claude-mythos-5", updates: false, refusesForcedToolChoice: false),

        // O5, O9: adaptive always on, default effort medium; text between tool calls arrives in thinking blocks (O5).
        new()
        {
            Id = "claude-opus-5-5", ThinkingTypes = Adaptive, DefaultEffort = "medium", SupportsUpdatesDisplay = true,
            RefusesForcedToolChoice = true, Sampling = FakeSampling.Refused, ThinksBetweenTools = true,
        },
        // O8: adaptive by default; disabled only up to effort high.
        new() { Id = "claude-opus-5", ThinkingTypes = AdaptiveOrDisabled, DisabledMaxEffort = "high", DefaultEffort = "high", Sampling = FakeSampling.Refused },
        // O10, SK: adaptive opt-in, disabled works, enabled refused; sampling refused from Opus 4.7 on (O2).
        new() { Id = "claude-opus-4-8", ThinkingTypes = AdaptiveOrDisabled, DefaultEffort = "high", Sampling = FakeSampling.Refused },
        new() { Id = "claude-opus-4-7", ThinkingTypes = AdaptiveOrDisabled, DefaultEffort = "high", Sampling = FakeSampling.Refused },
        // O9, O10, SK: enabled deprecated but works; no xhigh; summarized by default; sampling accepted.
        new()
        {
            Id = "claude-opus-4-6", ThinkingTypes = ["adaptive", "enabled", "disabled"], Efforts = ["low", "medium", "high", "max"],
            DefaultEffort = "high", DefaultDisplay = "summarized",
        },
        new()
        {
            Id = "claude-sonnet-4-6", ThinkingTypes = ["adaptive", "enabled", "disabled"], Efforts = ["low", "medium", "high", "max"],
            DefaultEffort = "high", DefaultDisplay = "summarized",
        },
        // O9, O10, T5: enabled (with a budget) is the only thinking mode; effort low/medium/high.
        new()
        {
            Id = "claude-opus-4-5-20251101", Aliases = ["claude-opus-4-5"], ThinkingTypes = ["enabled", "disabled"],
            Efforts = ["low", "medium", "high"], DefaultEffort = "high", DefaultDisplay = "summarized",
        },
        // O6: disabled refused (use between_tools, which is refused above effort high); text between tool calls in thinking blocks.
        new()
        {
            Id = "claude-sonnet-5-5", ThinkingTypes = ["adaptive", "between_tools"], BetweenToolsMaxEffort = "high", DefaultEffort = "high",
            SupportsUpdatesDisplay = true, RefusesForcedToolChoice = true, Sampling = FakeSampling.Refused, ThinksBetweenTools = true,
        },
        // O10, O19, T10
        new() { Id = "claude-sonnet-5", ThinkingTypes = AdaptiveOrDisabled, DefaultEffort = "high", Sampling = FakeSampling.Refused },
        // O16, T15, T16: disabled only up to effort high; between_tools refused; forced tool_choice accepted; sampling: defaults only.
        new()
        {
            Id = "claude-haiku-5-5", ThinkingTypes = AdaptiveOrDisabled, DisabledMaxEffort = "high", DefaultEffort = "medium",
            Sampling = FakeSampling.DefaultsOnly,
        },
        // O3, O10, T5: enabled is the only thinking mode; effort not supported.
        new()
        {
            Id = "claude-haiku-4-5-20251001", Aliases = ["claude-haiku-4-5"], ThinkingTypes = ["enabled", "disabled"],
            Efforts = [], DefaultDisplay = "summarized",
        },

        // O2, O15, T11: retired; requests get a 404 like a bad path (T6, T7).
        Retired("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        Retired("claude-opus-4-1-20250805", "claude-opus-4-1"),
        Retired("claude-3-5-haiku-20241022", "claude-3-5-haiku"),
    ];

    private static readonly Dictionary<string, FakeModel> ById = Table
        .SelectMany(m => m.Aliases.Prepend(m.Id).Select(id => KeyValuePair.Create(id, m)))
        .ToDictionary(StringComparer.Ordinal);

    /// <summary>The model an id or alias names; null for a model the table does not know (then no per-model rule applies).</summary>
    public static FakeModel? Find(string? id) => id is not null && ById.TryGetValue(id, out var model) ? model : null;

    /// <summary>Where <paramref name="effort"/> sits among <see cref="AllEfforts"/>; -1 when it is none of them.</summary>
    public static int Rank(string effort) => Array.IndexOf(AllEfforts, effort);
}

/// <summary>What one model accepts and how it streams; see <see cref="FakeModels"/>.</summary>
internal sealed record FakeModel
{
    public required string Id { get; init; }

    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Every request for it fails with 404 <c>not_found_error</c>.</summary>
    public bool Retired { get; init; }

    /// <summary>The <c>thinking.type</c> values it accepts (adaptive, enabled, disabled, between_tools).</summary>
    public IReadOnlyList<string> ThinkingTypes { get; init; } = [];

    /// <summary>The highest effort at which <c>thinking.type: disabled</c> is accepted; null: at every effort it has.</summary>
    public string? DisabledMaxEffort { get; init; }

    /// <summary>The highest effort at which <c>thinking.type: between_tools</c> is accepted; null: at every effort it has.</summary>
    public string? BetweenToolsMaxEffort { get; init; }

    /// <summary>The <c>output_config.effort</c> values it accepts; empty when it takes no effort at all.</summary>
    public IReadOnlyList<string> Efforts { get; init; } = FakeModels.AllEfforts;

    /// <summary>The effort it works at when the request names none; null when it takes no effort.</summary>
    public string? DefaultEffort { get; init; }

    /// <summary>The thinking display when the request names none: <c>summarized</c> or <c>omitted</c>.</summary>
    public string DefaultDisplay { get; init; } = "omitted";

    /// <summary>Accepts <c>thinking.display: updates</c> (with its beta header).</summary>
    public bool SupportsUpdatesDisplay { get; init; }

    /// <summary>Refuses <c>tool_choice</c> of type <c>any</c> or <c>tool</c>.</summary>
    public bool RefusesForcedToolChoice { get; init; }

    public FakeSampling Sampling { get; init; }

    /// <summary>Puts the text it writes between tool calls into thinking blocks instead of text blocks.</summary>
    public bool ThinksBetweenTools { get; init; }
}

/// <summary>How a model treats <c>temperature</c>, <c>top_p</c> and <c>top_k</c>.</summary>
internal enum FakeSampling
{
    /// <summary>All three accepted.</summary>
    Accepted,

    /// <summary>Any of the three present is refused.</summary>
    Refused,

    /// <summary>Haiku 5.5: <c>top_k</c> refused; <c>temperature</c> only 1, <c>top_p</c> only 0.99 (T16).</summary>
    DefaultsOnly,
}
