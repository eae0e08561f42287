using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Models;

namespace CommandCenter.Services.Agents;

/// <summary>
/// An agent's settings against what its model accepts (the model catalogue), so that nothing Anthropic would refuse
/// with a 400 can be saved. A model the catalogue does not know is held to the general rules only.
/// </summary>
public static class AgentModelRules
{
    public static IEnumerable<ValidationResult> Check(AgentInput input, ClaudeModel model, DateTimeOffset now)
    {
        var name = model.DisplayName;
        if (model.StatusAt(now) == ModelStatus.Retired && AgentInput.NormalizeStatus(input.Status) == AgentStatus.Active)
        {
            yield return new ValidationResult(
                $"{name} was retired{On(model.RetiresAt)}: Anthropic refuses requests for it.{Instead(model)}", ["model"]);
        }

        if (input.MaxTokens is { } maxTokens && model.MaxOutputTokens > 0 && maxTokens > model.MaxOutputTokens)
        {
            yield return new ValidationResult($"{name} writes at most {model.MaxOutputTokens:N0} tokens per reply.", ["maxTokens"]);
        }

        var caps = model.Capabilities;
        var thinking = input.Thinking ?? DefaultThinking(model);
        var effort = thinking.Effort;
        switch (thinking.Mode ?? ThinkingMode.Off)
        {
            case ThinkingMode.Off when !caps.Accepts(ThinkingType.Disabled):
                yield return new ValidationResult(
                    $"{name} always thinks: thinking cannot be off.{(caps.Accepts(ThinkingType.BetweenTools) ? " Choose between_tools for no thinking with short progress notes between tool calls." : "")}",
                    ["thinking.mode"]);
                break;
            case ThinkingMode.Off when !caps.EffortAtMost(effort, caps.DisabledMaxEffort):
                yield return new ValidationResult($"{name} turns thinking off only at effort {caps.DisabledMaxEffort} or lower.", ["thinking.effort"]);
                break;
            case ThinkingMode.Adaptive when !caps.Accepts(ThinkingType.Adaptive):
                yield return new ValidationResult($"{name} has no adaptive thinking: use a token budget, or turn thinking off.", ["thinking.mode"]);
                break;
            case ThinkingMode.Budget when !caps.Accepts(ThinkingType.Enabled):
                yield return new ValidationResult($"{name} does not take a thinking budget: use adaptive thinking, with an effort level.", ["thinking.mode"]);
                break;
            case ThinkingMode.BetweenTools when !caps.Accepts(ThinkingType.BetweenTools):
                yield return new ValidationResult($"{name} does not take between_tools thinking.", ["thinking.mode"]);
                break;
            case ThinkingMode.BetweenTools when !caps.EffortAtMost(effort, caps.BetweenToolsMaxEffort):
                yield return new ValidationResult($"{name} takes between_tools only at effort {caps.BetweenToolsMaxEffort} or lower.", ["thinking.effort"]);
                break;
        }

        if (effort is not null && caps.Efforts.Count == 0)
        {
            yield return new ValidationResult($"{name} takes no effort level.", ["thinking.effort"]);
        }
        else if (effort is not null && !caps.Efforts.Contains(effort))
        {
            yield return new ValidationResult($"{name} takes effort {string.Join(", ", caps.Efforts)}; not {effort}.", ["thinking.effort"]);
        }
    }

    /// <summary>What an agent that says nothing of thinking gets: the model's own default (adaptive where it thinks by default).</summary>
    public static ThinkingSettings DefaultThinking(ClaudeModel? model) =>
        model?.Capabilities.ThinksByDefault == true ? new ThinkingSettings(ThinkingMode.Adaptive) : new ThinkingSettings();

    /// <summary>
    /// The agent's settings carried to <paramref name="model"/>: each one the model refuses becomes the nearest it takes.
    /// Returns the new settings and a sentence per change.
    /// </summary>
    public static (AgentInput Input, IReadOnlyList<string> Changes) Adapt(AgentInput input, ClaudeModel model)
    {
        var caps = model.Capabilities;
        List<string> changes = [];
        var thinking = input.Thinking ?? new ThinkingSettings();
        var mode = thinking.Mode ?? ThinkingMode.Off;
        var target = mode switch
        {
            ThinkingMode.Off when !caps.Accepts(ThinkingType.Disabled) => caps.Accepts(ThinkingType.BetweenTools) ? ThinkingMode.BetweenTools : ThinkingMode.Adaptive,
            ThinkingMode.Budget when !caps.Accepts(ThinkingType.Enabled) => caps.Accepts(ThinkingType.Adaptive) ? ThinkingMode.Adaptive : ThinkingMode.Off,
            ThinkingMode.Adaptive when !caps.Accepts(ThinkingType.Adaptive) => caps.Accepts(ThinkingType.Disabled) ? ThinkingMode.Off : ThinkingMode.Budget,
            ThinkingMode.BetweenTools when !caps.Accepts(ThinkingType.BetweenTools) => caps.Accepts(ThinkingType.Disabled) ? ThinkingMode.Off : ThinkingMode.Adaptive,
            _ => mode,
        };
        if (target != mode)
        {
            changes.Add($"Thinking {mode} became {target}: {model.DisplayName} does not take {mode}.");
        }

        var effort = thinking.Effort;
        if (effort is not null && !caps.Efforts.Contains(effort))
        {
            changes.Add($"Effort {effort} became the model's default{(caps.DefaultEffort is { } d ? $" ({d})" : "")}.");
            effort = null;
        }

        var ceiling = target switch
        {
            ThinkingMode.Off => caps.DisabledMaxEffort,
            ThinkingMode.BetweenTools => caps.BetweenToolsMaxEffort,
            _ => null,
        };
        if (!caps.EffortAtMost(effort, ceiling))
        {
            changes.Add($"Effort {effort ?? caps.DefaultEffort} became {ceiling}: the most {model.DisplayName} takes with thinking {target}.");
            effort = ceiling;
        }

        var maxTokens = input.MaxTokens;
        if (maxTokens > model.MaxOutputTokens && model.MaxOutputTokens > 0)
        {
            changes.Add($"Max tokens {maxTokens:N0} became {model.MaxOutputTokens:N0}, the most {model.DisplayName} writes.");
            maxTokens = model.MaxOutputTokens;
        }

        var budget = target == ThinkingMode.Budget
            ? thinking.BudgetTokens ?? Math.Max(ThinkingMode.MinBudgetTokens, (maxTokens ?? AgentInput.DefaultMaxTokens) / 2)
            : (int?)null;
        var adapted = input with
        {
            Model = model.Id,
            MaxTokens = maxTokens,
            Thinking = thinking with { Mode = target, Effort = effort, BudgetTokens = budget, Show = thinking.Show && target is ThinkingMode.Adaptive or ThinkingMode.Budget },
        };
        return (adapted, changes);
    }

    private static string On(DateTimeOffset? date) => date is { } d ? $" on {d:yyyy-MM-dd}" : "";

    private static string Instead(ClaudeModel model) => model.Replacement is { } replacement ? $" Choose {replacement} instead." : "";
}
