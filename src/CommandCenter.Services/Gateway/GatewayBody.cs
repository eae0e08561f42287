using System.Text.Json;
using System.Text.Json.Nodes;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.Models;

namespace CommandCenter.Services.Gateway;

/// <summary>
/// A Messages request as a gateway client wrote it, read only where the gateway must (its model, whether it streams,
/// what it may cost) and otherwise passed on untouched; an <c>agent:</c> model is resolved to the agent's own.
/// </summary>
internal static class GatewayBody
{
    /// <summary>The prefix of a model that names an agent: <c>agent:Support bot</c>.</summary>
    public const string AgentPrefix = "agent:";

    private const int MaxInstructionLength = 2_000;

    /// <summary>The fields Anthropic requires of a Messages request, refused as it refuses them.</summary>
    /// <exception cref="GatewayRefusal">One is missing or of the wrong kind.</exception>
    public static (string Model, int MaxTokens) Require(JsonObject body, bool countOnly = false)
    {
        if (body["model"] is not JsonValue model || !model.TryGetValue<string>(out var name) || string.IsNullOrWhiteSpace(name))
        {
            throw GatewayRefusal.Invalid("model: Field required");
        }

        if (body["messages"] is not JsonArray)
        {
            throw GatewayRefusal.Invalid("messages: Field required");
        }

        if (countOnly)
        {
            return (name, 0);
        }

        if (body["max_tokens"] is not JsonValue max || !max.TryGetValue<int>(out var maxTokens) || maxTokens < 1)
        {
            throw GatewayRefusal.Invalid("max_tokens: Field required (a whole number of at least 1)");
        }

        return (name, maxTokens);
    }

    public static bool Streams(JsonObject body) => body["stream"] is JsonValue stream && stream.TryGetValue<bool>(out var on) && on;

    /// <summary>
    /// The request as <paramref name="agent"/> makes it: its model; its system prompt before the caller's; its server tools
    /// beside the caller's (unless the caller has one of that name); its thinking and effort unless the caller set them.
    /// Returns the <c>anthropic-beta</c> values the agent's settings need.
    /// </summary>
    public static (JsonObject Body, string? Beta) WithAgent(JsonObject body, Agent agent, ModelCapabilities? model, AnthropicOptions options)
    {
        var own = WireRequest.For(agent, model, null, [], options);
        var merged = body.DeepClone().AsObject();
        merged["model"] = agent.Model;
        if (!string.IsNullOrEmpty(agent.SystemPrompt))
        {
            JsonArray system = [new JsonObject { ["type"] = "text", ["text"] = agent.SystemPrompt }];
            switch (merged["system"])
            {
                case JsonValue text when text.TryGetValue<string>(out var said):
                    system.Add(new JsonObject { ["type"] = "text", ["text"] = said });
                    break;
                case JsonArray blocks:
                    foreach (var block in blocks)
                    {
                        system.Add(block?.DeepClone());
                    }

                    break;
            }

            merged["system"] = system;
        }

        if (own.Tools is { Count: > 0 } tools)
        {
            var theirs = merged["tools"] as JsonArray ?? [];
            var names = theirs.Select(t => t?["name"]?.GetValue<string>()).ToHashSet();
            foreach (var tool in tools.Where(t => !names.Contains(t.Name)))
            {
                theirs.Add(JsonSerializer.SerializeToNode(tool, WireJsonContext.Default.WireTool));
            }

            merged["tools"] = theirs;
        }

        if (own.Thinking is { } thinking && !merged.ContainsKey("thinking"))
        {
            merged["thinking"] = JsonSerializer.SerializeToNode(thinking, WireJsonContext.Default.WireThinking);
        }

        if (own.OutputConfig is { } output && !merged.ContainsKey("output_config"))
        {
            merged["output_config"] = JsonSerializer.SerializeToNode(output, WireJsonContext.Default.WireOutputConfig);
        }

        return (merged, own.Beta);
    }

    /// <summary>What the trace calls the request: the text of its last user message.</summary>
    public static string Instruction(JsonObject body)
    {
        var last = (body["messages"] as JsonArray)?.LastOrDefault(m => m?["role"]?.GetValue<string>() == "user");
        var text = last?["content"] switch
        {
            JsonValue value when value.TryGetValue<string>(out var said) => said,
            JsonArray blocks => string.Join("\n", blocks.Select(b => b?["type"]?.GetValue<string>() == "text" ? b["text"]?.GetValue<string>() : null).OfType<string>()),
            _ => null,
        };
        text = string.IsNullOrWhiteSpace(text) ? $"({(body["messages"] as JsonArray)?.Count ?? 0} messages)" : text;
        return text.Length > MaxInstructionLength ? text[..MaxInstructionLength] : text;
    }

    /// <summary>The length of what the prompt is made of, for the budget's estimate of its tokens.</summary>
    public static long PromptCharacters(JsonObject body) =>
        (string[])["system", "messages", "tools"] is var parts ? parts.Sum(p => (long)(body[p]?.ToJsonString().Length ?? 0)) : 0;

    /// <summary>The most web searches the request lets Anthropic run, for the budget's reservation.</summary>
    public static int MaxSearches(JsonObject body) => (body["tools"] as JsonArray ?? [])
        .Where(t => t?["type"]?.GetValue<string>()?.StartsWith("web_search", StringComparison.Ordinal) == true)
        .Sum(t => t!["max_uses"] is JsonValue uses && uses.TryGetValue<int>(out var n) ? n : BudgetBook.SearchesReservedWithoutALimit);

    /// <summary>The request's prompt with a partial reply as the assistant's last turn, for counting that reply's tokens.</summary>
    public static JsonObject CountRequestWith(JsonObject body, string partialReply)
    {
        var count = new JsonObject();
        foreach (var field in (string[])["model", "system", "messages", "tools", "tool_choice", "thinking"])
        {
            if (body[field] is { } value)
            {
                count[field] = value.DeepClone();
            }
        }

        ((JsonArray)count["messages"]!).Add(new JsonObject { ["role"] = "assistant", ["content"] = partialReply });
        return count;
    }
}
