using CommandCenter.Services.Conversations;

namespace CommandCenter.Web.Chat;

/// <summary>
/// The open conversation as the page shows it: its messages, what those not shown cost, and which turn can be made
/// again. A turn the page sends is a <see cref="TurnDraft"/> until the server takes it, rolled back if it does not.
/// </summary>
internal sealed class ChatTranscript
{
    private List<ChatMessage> _messages = [];
    // What the replies of questions edited away cost: paid for, no longer shown.
    private decimal _hiddenCost;

    public IReadOnlyList<ChatMessage> Messages => _messages;

    /// <summary>Every reply of the conversation was paid for: the shown ones, their siblings, and those of questions edited away.</summary>
    public decimal Total => _hiddenCost + Spent(_messages);

    /// <summary>Shows the conversation as stored.</summary>
    public void Show(IReadOnlyList<MessageView> stored)
    {
        _messages = Shown(stored);
        _hiddenCost = Unshown(stored, _messages);
    }

    public void Clear()
    {
        _messages = [];
        _hiddenCost = 0m;
    }

    /// <summary>A new question and its reply, at the end.</summary>
    public TurnDraft Send(string text)
    {
        var draft = Draft();
        return draft.With(Ask(text));
    }

    /// <summary>A failed reply never stored, with its question, sent again in their place; null when it cannot be.</summary>
    public TurnDraft? Retry(ChatMessage failed)
    {
        if (failed.RetryText is not { } text || _messages.IndexOf(failed) is not (> 0 and var at))
        {
            return null;
        }

        var draft = Draft();
        _messages.RemoveRange(at - 1, 2);
        return draft.With(Ask(text));
    }

    /// <summary>A new reply to the last question, in the place of <paramref name="old"/>, which stays a sibling to flip back to.</summary>
    public TurnDraft? Regenerate(ChatMessage old)
    {
        if (_messages.IndexOf(old) is not (>= 0 and var at))
        {
            return null;
        }

        var draft = Draft();
        var reply = new ChatMessage(MessageRole.Assistant, state: ChatMessageState.Streaming);
        reply.Siblings = [.. old.Siblings ?? [old], reply];
        _messages[at] = reply;
        return draft.With(reply);
    }

    /// <summary>The last question as edited, replacing its turn; the old version stays a sibling to flip back to.</summary>
    public TurnDraft? Edit(ChatMessage old, string text)
    {
        if (_messages.IndexOf(old) is not (>= 0 and var at))
        {
            return null;
        }

        var draft = Draft();
        var replaced = _messages.GetRange(at, _messages.Count - at);
        _messages.RemoveRange(at, replaced.Count);
        _hiddenCost += Spent(replaced);
        var reply = Ask(text);
        var question = _messages[^2];
        question.Siblings = [.. old.Siblings ?? [old], question];
        return draft.With(reply);
    }

    /// <summary>The question <paramref name="reply"/> answers, when the page added it and the server has not named it yet.</summary>
    public ChatMessage? UnnamedQuestionOf(ChatMessage reply) =>
        _messages.IndexOf(reply) is > 0 and var at && _messages[at - 1] is { IsUser: true, Id: null } question ? question : null;

    /// <summary>Only the last question and its reply can be made again, and not while a reply is being written.</summary>
    public void MarkLastTurn(bool streaming)
    {
        var lastQuestion = streaming ? null : _messages.LastOrDefault(m => m.IsUser);
        var lastReply = lastQuestion is not null && _messages[^1] is { IsUser: false } reply ? reply : null;
        foreach (var message in _messages)
        {
            message.IsLastTurn = message == lastQuestion || message == lastReply;
        }
    }

    private ChatMessage Ask(string text)
    {
        var reply = new ChatMessage(MessageRole.Assistant, state: ChatMessageState.Streaming) { RetryText = text };
        _messages.Add(new ChatMessage(MessageRole.User, text));
        _messages.Add(reply);
        return reply;
    }

    private TurnDraft Draft() => new(this, [.. _messages], _hiddenCost);

    private void Restore(List<ChatMessage> messages, decimal hiddenCost) => (_messages, _hiddenCost) = (messages, hiddenCost);

    /// <summary>A turn shown before the server has taken it: committed once it has, or rolled back to the transcript as it was.</summary>
    internal sealed class TurnDraft(ChatTranscript transcript, List<ChatMessage> before, decimal hiddenCostBefore)
    {
        private bool _settled;

        /// <summary>The reply the turn waits for.</summary>
        public ChatMessage Reply { get; private set; } = null!;

        public TurnDraft With(ChatMessage reply)
        {
            Reply = reply;
            return this;
        }

        /// <summary>Nothing was sent or stored: the transcript is put back as it was before the turn.</summary>
        public void Rollback()
        {
            if (!_settled)
            {
                _settled = true;
                transcript.Restore(before, hiddenCostBefore);
            }
        }

        /// <summary>The server took the turn (or stored its failure): it stays.</summary>
        public void Commit() => _settled = true;
    }

    /// <summary>
    /// The conversation as it reads now: of a question's versions the current one is shown, the others (edited away,
    /// with their replies) being its siblings; of a question's replies the current one is shown, the others being its
    /// siblings.
    /// </summary>
    internal static List<ChatMessage> Shown(IReadOnlyList<MessageView> stored)
    {
        var byId = stored.ToDictionary(m => m.Id);
        var siblings = new Dictionary<string, List<ChatMessage>>();
        var versions = new Dictionary<string, List<ChatMessage>>();
        var shown = new List<ChatMessage>();
        for (var i = 0; i < stored.Count; i++)
        {
            var saved = stored[i];
            if (saved.Role == MessageRole.User)
            {
                var question = ChatMessage.From(saved, null);
                var first = saved.VersionOfId ?? saved.Id;
                var group = versions.TryGetValue(first, out var known) ? known : versions[first] = [];
                group.Add(question);
                if (group.Count > 1)
                {
                    foreach (var version in group)
                    {
                        version.Siblings = group;
                    }
                }

                if (!saved.Superseded)
                {
                    shown.Add(question);
                }

                continue;
            }

            // Replies stored before they named their question follow it.
            var questionId = saved.ReplyToId ?? (i > 0 && stored[i - 1].Role == MessageRole.User ? stored[i - 1].Id : saved.Id);
            var asked = byId.GetValueOrDefault(questionId);
            if (asked is { Superseded: true })
            {
                continue;
            }

            var reply = ChatMessage.From(saved, asked?.Content);
            var replies = siblings.TryGetValue(questionId, out var found) ? found : siblings[questionId] = [];
            replies.Add(reply);
            reply.Siblings = replies;
            if (!saved.Superseded)
            {
                shown.Add(reply);
            }
        }

        return shown;
    }


    /// <summary>
    /// What the ended replies not among <paramref name="shown"/> nor their siblings cost (those of questions edited away).
    /// A reply still being written counts once it ends, as it does when shown.
    /// </summary>
    internal static decimal Unshown(IReadOnlyList<MessageView> stored, IEnumerable<ChatMessage> shown)
    {
        var counted = shown.SelectMany(m => m.Siblings ?? [m]).Select(m => m.Id).ToHashSet();
        return stored.Where(m => m.Role == MessageRole.Assistant && m.Status != MessageStatus.Streaming && !counted.Contains(m.Id)).Sum(m => m.Cost ?? 0m);
    }

    /// <summary>What the replies among <paramref name="shown"/> and their siblings cost: every one was paid for.</summary>
    internal static decimal Spent(IEnumerable<ChatMessage> shown) => shown.SelectMany(m => m.Siblings ?? [m]).Distinct().Sum(m => m.Cost?.TotalCost ?? 0m);
}
