using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CommandCenter.Services.Agents;

/// <summary>
/// Extended thinking: <c>off</c>; <c>adaptive</c>, where Claude decides how much to think (current models);
/// <c>budget</c>, a fixed number of thinking tokens (older models only); or <c>between_tools</c>, no thinking but short
/// progress notes between tool calls (Sonnet 5.5, which cannot turn thinking off). <see cref="Effort"/> (null: the
/// model's default) sets how much the model spends, thinking or not. Thinking is billed as output whether or not
/// operators see it; <see cref="Show"/> decides only whether its summary leaves the server. Which of these a model
/// takes is in the model catalogue (<see cref="AgentModelRules"/>).
/// </summary>
public sealed record ThinkingSettings(string? Mode = ThinkingMode.Off, string? Effort = null, int? BudgetTokens = null, bool Show = false)
{
    /// <summary>The model thinks (adaptive or budget); off and between_tools do not.</summary>
    [JsonIgnore]
    public bool IsOn => Mode is ThinkingMode.Adaptive or ThinkingMode.Budget;
}

public static class ThinkingMode
{
    public const string Off = "off";
    public const string Adaptive = "adaptive";
    public const string Budget = "budget";
    public const string BetweenTools = "between_tools";

    public static readonly string[] All = [Off, Adaptive, Budget, BetweenTools];

    /// <summary>Every effort level, lowest first; a model takes some of them (its catalogue entry says which).</summary>
    public static readonly string[] Efforts = Models.Effort.All;

    /// <summary>Anthropic's smallest thinking budget.</summary>
    public const int MinBudgetTokens = 1_024;
}

/// <summary>Anthropic's web search tool: searches are billed per 1,000 on top of tokens (priced from <c>tool_prices</c>).</summary>
public sealed record WebSearchSettings(bool Enabled = false, int? MaxUses = null, IReadOnlyList<string>? AllowedDomains = null, IReadOnlyList<string>? BlockedDomains = null)
{
    public const int MaxMaxUses = 50;
    public const int MaxDomains = 50;
}

/// <summary>Anthropic's web fetch tool: Claude reads the pages it is given or has found.</summary>
public sealed record WebFetchSettings(bool Enabled = false);

/// <summary>The rules an agent's tool settings follow, checked with the rest of <see cref="AgentInput"/>.</summary>
internal static partial class AgentToolRules
{
    public static IEnumerable<ValidationResult> Check(ThinkingSettings? thinking, WebSearchSettings? webSearch, int maxTokens)
    {
        if (thinking is not null)
        {
            if (!ThinkingMode.All.Contains(thinking.Mode ?? ThinkingMode.Off))
            {
                yield return new ValidationResult("The thinking mode must be off, adaptive, budget or between_tools.", ["thinking.mode"]);
            }
            else if (thinking.Effort is { } effort && !ThinkingMode.Efforts.Contains(effort))
            {
                yield return new ValidationResult("The effort must be low, medium, high, xhigh or max.", ["thinking.effort"]);
            }
            else if (thinking.Mode == ThinkingMode.Budget && thinking.BudgetTokens is null)
            {
                yield return new ValidationResult("A thinking budget needs budgetTokens.", ["thinking.budgetTokens"]);
            }
            else if (thinking.Mode == ThinkingMode.Budget && thinking.BudgetTokens < ThinkingMode.MinBudgetTokens)
            {
                yield return new ValidationResult($"The thinking budget is at least {ThinkingMode.MinBudgetTokens:N0} tokens.", ["thinking.budgetTokens"]);
            }
            else if (thinking.Mode == ThinkingMode.Budget && thinking.BudgetTokens >= maxTokens)
            {
                yield return new ValidationResult($"The thinking budget must be less than max tokens ({maxTokens:N0}): thinking counts toward them.", ["thinking.budgetTokens"]);
            }
        }

        if (webSearch is { Enabled: true })
        {
            if (webSearch.MaxUses is < 1 or > WebSearchSettings.MaxMaxUses)
            {
                yield return new ValidationResult($"Max searches per reply must be between 1 and {WebSearchSettings.MaxMaxUses}.", ["webSearch.maxUses"]);
            }

            if (webSearch.AllowedDomains is { Count: > 0 } && webSearch.BlockedDomains is { Count: > 0 })
            {
                yield return new ValidationResult("Give allowed domains or blocked domains, not both.", ["webSearch.blockedDomains"]);
            }

            foreach (var (field, domains) in new (string, IReadOnlyList<string>?)[] { ("webSearch.allowedDomains", webSearch.AllowedDomains), ("webSearch.blockedDomains", webSearch.BlockedDomains) })
            {
                if (domains is { Count: > WebSearchSettings.MaxDomains })
                {
                    yield return new ValidationResult($"At most {WebSearchSettings.MaxDomains} domains.", [field]);
                }
                else if (domains?.Where(d => d is null || !Domain().IsMatch(d.Trim())).Take(1).ToList() is [var bad])
                {
                    yield return new ValidationResult($"'{bad}' is not a domain such as example.com or docs.example.com/guide.", [field]);
                }
            }
        }
    }

    /// <summary>
    /// What is stored: thinking as given (off with no effort becomes null), a budget only with budget thinking, shown only
    /// when the model thinks; search and fetch null when off, domains trimmed and lower-cased.
    /// </summary>
    public static (ThinkingSettings? Thinking, WebSearchSettings? WebSearch, WebFetchSettings? WebFetch) Normalize(
        ThinkingSettings? thinking, WebSearchSettings? webSearch, WebFetchSettings? webFetch) =>
    (
        thinking is null || (thinking.Mode is null or ThinkingMode.Off && thinking.Effort is null)
            ? null
            : thinking with
            {
                Mode = thinking.Mode ?? ThinkingMode.Off,
                BudgetTokens = thinking.Mode == ThinkingMode.Budget ? thinking.BudgetTokens : null,
                Show = thinking.IsOn && thinking.Show,
            },
        webSearch is { Enabled: true } search
            ? search with { AllowedDomains = Domains(search.AllowedDomains), BlockedDomains = Domains(search.BlockedDomains) }
            : null,
        webFetch is { Enabled: true } ? webFetch : null
    );

    // Host names are case-insensitive; a path after one is not.
    private static string[]? Domains(IReadOnlyList<string>? domains) =>
        domains is { Count: > 0 } ? [.. domains.Select(d => d.Trim()).Select(d => d.IndexOf('/') is var slash and >= 0 ? d[..slash].ToLowerInvariant() + d[slash..] : d.ToLowerInvariant()).Distinct()] : null;

    // A host name, optionally with a path, as Anthropic's domain filters take it; no scheme.
    [GeneratedRegex(@"^(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(/[^\s]*)?$")]
    private static partial Regex Domain();
}
