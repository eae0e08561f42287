namespace CommandCenter.Services.Models;

/// <summary>
/// One Claude model as the catalogue knows it (table <c>models</c>): where it is in its life, its limits, and what its
/// requests may ask for. Seeded from Anthropic's published facts; status, limits and thinking types can be refreshed from
/// Anthropic's Models API. Prices are not here: they are rows of <c>model_prices</c>, since that API has none.
/// </summary>
public sealed class ClaudeModel
{
    /// <summary>The name agents and price rows use (an alias where Anthropic has one).</summary>
    public required string Id { get; init; }
    public required string DisplayName { get; set; }
    /// <summary>Other names Anthropic answers to for the same model (a dated snapshot id); the Models API lists those.</summary>
    public string[] Aliases { get; set; } = [];
    /// <summary>haiku, sonnet, opus, fable, mythos; null when Anthropic names none.</summary>
    public string? Line { get; set; }
    public string Status { get; set; } = ModelStatus.Active;
    public DateOnly? ReleasedOn { get; set; }
    public DateTimeOffset? DeprecatedAt { get; set; }
    /// <summary>When requests naming the model start to fail; from then on it is retired, whatever <see cref="Status"/> says.</summary>
    public DateTimeOffset? RetiresAt { get; set; }
    /// <summary>The model Anthropic recommends moving to.</summary>
    public string? Replacement { get; set; }
    public int ContextWindow { get; set; }
    public int MaxOutputTokens { get; set; }
    public required ModelCapabilities Capabilities { get; set; }
    /// <summary>When an admin last refreshed the row from Anthropic's Models API; null while it holds the seeded facts.</summary>
    public DateTimeOffset? RefreshedAt { get; set; }

    /// <summary>Its status at <paramref name="now"/>: a model past its retirement date is retired.</summary>
    public string StatusAt(DateTimeOffset now) => RetiresAt is { } retires && retires <= now ? ModelStatus.Retired : Status;

    /// <summary>Its id or one of its aliases.</summary>
    public bool IsNamed(string name) => Id == name || Aliases.Contains(name);
}

/// <summary>Where a model is in its life.</summary>
public static class ModelStatus
{
    /// <summary>Current: open to new work.</summary>
    public const string Active = "active";
    /// <summary>Superseded but callable, with no retirement scheduled yet.</summary>
    public const string Legacy = "legacy";
    /// <summary>Callable until its retirement date; move agents to its replacement.</summary>
    public const string Deprecated = "deprecated";
    /// <summary>Requests naming it fail (Anthropic answers 404); kept so old traces keep their model and price.</summary>
    public const string Retired = "retired";

    public static readonly string[] All = [Active, Legacy, Deprecated, Retired];
}

/// <summary>
/// What a model's requests may ask for. Anthropic refuses the rest with a 400, so agents are checked against this
/// before they are saved (<see cref="ModelRules"/>).
/// </summary>
/// <param name="ThinkingTypes">The <c>thinking.type</c> values it accepts: adaptive, enabled (a token budget), disabled, between_tools.</param>
/// <param name="DisabledMaxEffort">Thinking off only at this effort or lower (null: at any).</param>
/// <param name="BetweenToolsMaxEffort">between_tools only at this effort or lower (null: at any).</param>
/// <param name="ThinksByDefault">Without a <c>thinking</c> field it thinks adaptively (on by default, or always on).</param>
/// <param name="Efforts">The <c>output_config.effort</c> levels it accepts, lowest first; empty when it takes none.</param>
/// <param name="DefaultEffort">The effort it uses when none is sent.</param>
/// <param name="DisplayDefault">Its thinking display when none is sent: summarized or omitted.</param>
/// <param name="DisplayUpdates">It takes <c>display: "updates"</c> (beta): only its notes between tool calls come back as text.</param>
/// <param name="ToolTextInThinking">Its text between tool calls arrives in thinking blocks, not text blocks.</param>
/// <param name="ForcedToolChoice">It accepts a forced <c>tool_choice</c> (any or tool).</param>
/// <param name="SamplingParameters">It accepts non-default temperature, top_p and top_k.</param>
public sealed record ModelCapabilities(
    IReadOnlyList<string> ThinkingTypes,
    IReadOnlyList<string> Efforts,
    string? DefaultEffort = null,
    string? DisabledMaxEffort = null,
    string? BetweenToolsMaxEffort = null,
    bool ThinksByDefault = false,
    string DisplayDefault = ThinkingDisplay.Summarized,
    bool DisplayUpdates = false,
    bool ToolTextInThinking = false,
    bool ForcedToolChoice = true,
    bool SamplingParameters = true)
{
    public bool Accepts(string thinkingType) => ThinkingTypes.Contains(thinkingType);

    /// <summary><paramref name="effort"/> (null: the model's default) is at or below <paramref name="ceiling"/> (null: no ceiling).</summary>
    public bool EffortAtMost(string? effort, string? ceiling) =>
        ceiling is null || Effort.Rank(effort ?? DefaultEffort) <= Effort.Rank(ceiling);
}

/// <summary>The <c>thinking.type</c> values of the Messages API.</summary>
public static class ThinkingType
{
    public const string Adaptive = "adaptive";
    public const string Enabled = "enabled";
    public const string Disabled = "disabled";
    public const string BetweenTools = "between_tools";
}

/// <summary>The <c>thinking.display</c> values of the Messages API.</summary>
public static class ThinkingDisplay
{
    public const string Summarized = "summarized";
    public const string Omitted = "omitted";
    /// <summary>Beta (<see cref="Beta"/>): only the notes written between tool calls come back, as thinking text.</summary>
    public const string Updates = "updates";

    /// <summary>The <c>anthropic-beta</c> value <see cref="Updates"/> needs (ANTHROPIC.md §2, O17).</summary>
    public const string Beta = "thinking-display-updates-2026-08-18";
}

/// <summary>The effort levels of <c>output_config.effort</c>, lowest first.</summary>
public static class Effort
{
    public static readonly string[] All = ["low", "medium", "high", "xhigh", "max"];

    /// <summary>Its place among <see cref="All"/>; an unknown level ranks above every known one.</summary>
    public static int Rank(string? effort) => effort is null ? -1 : Array.IndexOf(All, effort) is var i and >= 0 ? i : All.Length;
}
