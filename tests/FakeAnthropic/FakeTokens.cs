using System.Text;
using System.Text.Json;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// The fake's tokenizer: one token per whitespace-separated word of the system prompt and of every message's text.
/// Its <c>message_start</c> input (when the scenario scripts none) and its <c>count_tokens</c> answers agree, so a
/// client that takes a prompt's reported input off a count of prompt + partial reply gets the reply's words.
/// </summary>
public static class FakeTokens
{
    public static int Count(JsonElement request)
    {
        var tokens = 0;
        if (request.TryGetProperty("system", out var system))
            tokens += Words(TextOf(system));
        if (request.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
                tokens += Words(TextOf(message));
        }
        return tokens;
    }

    public static int Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>The text of a system prompt, a message or its content: a string, or text blocks.</summary>
    public static string TextOf(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content))
            return TextOf(content);
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString()!;
        if (value.ValueKind != JsonValueKind.Array)
            return "";
        var text = new StringBuilder();
        foreach (var block in value.EnumerateArray())
        {
            if (block.TryGetProperty("text", out var part))
                text.Append(part.GetString()).Append(' ');
        }
        return text.ToString().TrimEnd();
    }
}
