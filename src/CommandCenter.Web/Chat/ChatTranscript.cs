using CommandCenter.Services.Conversations;

namespace CommandCenter.Web.Chat;

/// <summary>A stored conversation as the page shows it, and what it cost.</summary>
internal static class ChatTranscript
{
    /// <summary>
    /// The conversation as it reads now: of a question's versions the current one is shown, the others (edited away,
    /// with their replies) being its siblings; of a question's replies the current one is shown, the others being its
    /// siblings.
    /// </summary>
    public static List<ChatMessage> Shown(IReadOnlyList<MessageView> stored)
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
    public static decimal Unshown(IReadOnlyList<MessageView> stored, IEnumerable<ChatMessage> shown)
    {
        var counted = shown.SelectMany(m => m.Siblings ?? [m]).Select(m => m.Id).ToHashSet();
        return stored.Where(m => m.Role == MessageRole.Assistant && m.Status != MessageStatus.Streaming && !counted.Contains(m.Id)).Sum(m => m.Cost ?? 0m);
    }

    /// <summary>What the replies among <paramref name="shown"/> and their siblings cost: every one was paid for.</summary>
    public static decimal Spent(IEnumerable<ChatMessage> shown) => shown.SelectMany(m => m.Siblings ?? [m]).Distinct().Sum(m => m.Cost?.TotalCost ?? 0m);
}
