using CommandCenter.Services.Anthropic;

namespace CommandCenter.Services.Conversations;

/// <summary>
/// What a turn sends upstream: the system prompt, the conversation's earlier turns and the new message.
/// Only finished turns go back to the model: a turn whose reply was stopped or failed is shown to the operator but
/// left out, both halves, so the model never mistakes a cut-off reply for its answer and roles keep alternating;
/// so is a turn whose reply has no text (Anthropic refuses empty text blocks).
/// When everything would not fit the model's context window, the oldest turns are left out and counted.
/// </summary>
internal static class ConversationHistory
{
    // Rough and safe: Anthropic's tokenizer gives about 3.5–4 characters a token for English text.
    internal const int CharsPerToken = 3;
    private const int ReservedTokens = 1_000;

    public sealed record Prompt(IReadOnlyList<WireTextBlock>? System, IReadOnlyList<WireMessage> Messages, int HistoryMessagesSent, int HistoryMessagesTrimmed)
    {
        /// <summary>The characters of text sent, which the estimates above count in.</summary>
        public long Characters { get; init; }
    }

    /// <returns>Null when even the new message alone does not fit.</returns>
    public static Prompt? Build(string systemPrompt, IReadOnlyList<Message> history, string newMessage, int contextWindow, int maxTokens)
    {
        var turns = CompleteTurns(history);
        var budget = (long)(contextWindow - maxTokens - ReservedTokens) * CharsPerToken;
        var used = (long)systemPrompt.Length + newMessage.Length;
        if (used > budget)
        {
            return null;
        }

        // Keep the newest turns that fit, then send them oldest first.
        var kept = 0;
        for (var i = turns.Count - 1; i >= 0 && used + turns[i].Length <= budget; i--)
        {
            used += turns[i].Length;
            kept++;
        }

        var messages = new List<WireMessage>(kept * 2 + 1);
        foreach (var turn in turns.Skip(turns.Count - kept))
        {
            messages.Add(new WireMessage(MessageRole.User, [new WireTextBlock(turn.User)]));
            messages.Add(new WireMessage(MessageRole.Assistant, [new WireTextBlock(turn.Assistant)]));
        }

        // Cache breakpoints on the system prompt and on the newest message: the next turn reads this whole prefix from the cache.
        messages.Add(new WireMessage(MessageRole.User, [new WireTextBlock(newMessage, new WireCacheControl())]));
        // Anthropic refuses empty or whitespace-only text blocks.
        IReadOnlyList<WireTextBlock>? system = string.IsNullOrWhiteSpace(systemPrompt) ? null : [new WireTextBlock(systemPrompt, new WireCacheControl())];
        return new Prompt(system, messages, kept * 2, (turns.Count - kept) * 2) { Characters = used };
    }

    private sealed record Turn(string User, string Assistant)
    {
        public long Length => User.Length + Assistant.Length;
    }

    private static List<Turn> CompleteTurns(IReadOnlyList<Message> all)
    {
        var history = all.Where(m => !m.Superseded).ToList();
        var turns = new List<Turn>();
        for (var i = 0; i + 1 < history.Count; i++)
        {
            if (history[i] is { Role: MessageRole.User } user
                && history[i + 1] is { Role: MessageRole.Assistant, Status: MessageStatus.Complete } reply
                && !string.IsNullOrWhiteSpace(reply.Content))
            {
                turns.Add(new Turn(user.Content, reply.Content));
                i++;
            }
        }

        return turns;
    }
}
