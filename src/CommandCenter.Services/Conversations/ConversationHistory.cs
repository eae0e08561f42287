using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Files;

namespace CommandCenter.Services.Conversations;

/// <summary>
/// What a turn sends upstream: the system prompt, the conversation's earlier turns and the new message.
/// Only finished turns go back to the model: a turn whose reply was stopped or failed is shown to the operator but
/// left out, both halves, so the model never mistakes a cut-off reply for its answer and roles keep alternating;
/// so is a turn whose reply has no text (Anthropic refuses empty text blocks).
/// When everything would not fit the model's context window, the oldest turns are left out and counted; a question's
/// files go with it and weigh what Anthropic's estimate says they cost (<see cref="FileTokens"/>).
/// </summary>
internal static class ConversationHistory
{
    // Rough and safe: Anthropic's tokenizer gives about 3.5–4 characters a token for English text.
    internal const int CharsPerToken = 3;
    private const int ReservedTokens = 1_000;

    public sealed record Prompt(IReadOnlyList<WireTextBlock>? System, IReadOnlyList<WireMessage> Messages, int HistoryMessagesSent, int HistoryMessagesTrimmed)
    {
        /// <summary>The characters of text sent, with each file as its estimated tokens' worth: what the estimates above count in.</summary>
        public long Characters { get; init; }

        /// <summary>The files of the turns kept and of the new message: what must be sent (<see cref="SentAttachments"/>).</summary>
        public IReadOnlyList<Attachment> Attachments { get; init; } = [];

        /// <summary>The prompt's tokens as estimated, and the most it may have: near that, count it exactly.</summary>
        public long EstimatedTokens => Characters / CharsPerToken;

        public long TokenLimit { get; init; }
    }

    /// <param name="newAttachments">The new message's files.</param>
    /// <param name="sent">How the files go upstream; null builds the prompt without them, to learn which must be sent.</param>
    /// <param name="budgetShare">The share of the window to fill: less than 1 when an exact count found the estimate short.</param>
    /// <returns>Null when even the new message alone does not fit.</returns>
    public static Prompt? Build(
        string systemPrompt, IReadOnlyList<Message> history, string newMessage, int contextWindow, int maxTokens,
        IReadOnlyList<Attachment>? newAttachments = null, SentAttachments? sent = null, double budgetShare = 1)
    {
        newAttachments ??= [];
        var turns = CompleteTurns(history);
        var limit = (long)contextWindow - maxTokens - ReservedTokens;
        var budget = (long)(limit * budgetShare) * CharsPerToken;
        var used = (long)systemPrompt.Length + newMessage.Length + Weight(newAttachments);
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
        List<Attachment> attachments = [];
        foreach (var turn in turns.Skip(turns.Count - kept))
        {
            messages.Add(UserTurn(turn.User, turn.Attachments, sent, null));
            messages.Add(new WireMessage(MessageRole.Assistant, [new WireTextBlock(turn.Assistant)]));
            attachments.AddRange(turn.Attachments);
        }

        // Cache breakpoints on the system prompt and on the newest message: the next turn reads this whole prefix from the cache.
        messages.Add(UserTurn(newMessage, newAttachments, sent, new WireCacheControl()));
        attachments.AddRange(newAttachments);
        // Anthropic refuses empty or whitespace-only text blocks.
        IReadOnlyList<WireTextBlock>? system = string.IsNullOrWhiteSpace(systemPrompt) ? null : [new WireTextBlock(systemPrompt, new WireCacheControl())];
        return new Prompt(system, messages, kept * 2, (turns.Count - kept) * 2) { Characters = used, Attachments = attachments, TokenLimit = limit };
    }

    /// <summary>A question with its files before its text; a file deleted since is named in a note, so the model knows it was there.</summary>
    private static WireMessage UserTurn(string text, IReadOnlyList<Attachment> attachments, SentAttachments? sent, WireCacheControl? cache)
    {
        if (attachments.Count == 0 || sent is null)
        {
            return new WireMessage(MessageRole.User, [new WireTextBlock(text, cache)]);
        }

        var removed = attachments.Where(a => !sent.Blocks.ContainsKey(a.Id)).Select(a => new WireTextBlock($"[Attached file {a.Name} was removed.]"));
        return new WireMessage(MessageRole.User, [.. removed, new WireTextBlock(text, cache)])
        {
            Attachments = [.. attachments.Where(a => sent.Blocks.ContainsKey(a.Id)).Select(a => sent.Blocks[a.Id])],
        };
    }

    private static long Weight(IReadOnlyList<Attachment> attachments) => attachments.Sum(a => (long)a.Tokens) * CharsPerToken;

    private sealed record Turn(string User, string Assistant, IReadOnlyList<Attachment> Attachments)
    {
        public long Length => User.Length + Assistant.Length + Weight(Attachments);
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
                turns.Add(new Turn(user.Content, reply.Content, user.Attachments ?? []));
                i++;
            }
        }

        return turns;
    }
}
