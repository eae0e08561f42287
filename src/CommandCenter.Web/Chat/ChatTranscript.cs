using CommandCenter.Services.Conversations;

namespace CommandCenter.Web.Chat;

/// <summary>A stored conversation as the page shows it, and what it cost.</summary>
internal static class ChatTranscript
{
    /// <summary>
    /// The conversation as it reads now: questions edited away are left out with their replies, and of a question's
    /// replies the current one is shown, the others being its siblings.
    /// </summary>
    public static List<ChatMessage> Shown(IReadOnlyList<MessageView> stored)
    {
        var byId = stored.ToDictionary(m => m.Id);
        var siblings = new Dictionary<string, List<ChatMessage>>();
        var shown = new List<ChatMessage>();
        for (var i = 0; i < stored.Count; i++)
        {
            var saved = stored[i];
            if (saved.Role == MessageRole.User)
            {
                if (!saved.Superseded)
                {
                    shown.Add(ChatMessage.From(saved, null));
                }

                continue;
            }

            // Replies stored before they named their question follow it.
            var questionId = saved.ReplyToId ?? (i > 0 && stored[i - 1].Role == MessageRole.User ? stored[i - 1].Id : saved.Id);
            var question = byId.GetValueOrDefault(questionId);
            if (question is { Superseded: true })
            {
                continue;
            }

            var reply = ChatMessage.From(saved, question?.Content);
            var group = siblings.TryGetValue(questionId, out var found) ? found : siblings[questionId] = [];
            group.Add(reply);
            reply.Siblings = group;
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
    public static decimal Unshown(IReadOnlyList<MessageView> stored, IEnumerable<ChatMessage> shown)
    {
        var counted = shown.SelectMany(m => m.Siblings ?? [m]).Select(m => m.Id).ToHashSet();
        return stored.Where(m => m.Role == MessageRole.Assistant && m.Status != MessageStatus.Streaming && !counted.Contains(m.Id)).Sum(m => m.Cost ?? 0m);
    }

    /// <summary>What the replies among <paramref name="shown"/> and their siblings cost: every one was paid for.</summary>
    public static decimal Spent(IEnumerable<ChatMessage> shown) => shown.SelectMany(m => m.Siblings ?? [m]).Distinct().Sum(m => m.Cost?.TotalCost ?? 0m);
}
