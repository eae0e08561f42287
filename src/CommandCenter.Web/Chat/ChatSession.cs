using CommandCenter.Services.Conversations;
using CommandCenter.Services.Streaming;
using CommandCenter.Services.Validation;

namespace CommandCenter.Web.Chat;

/// <summary>What opening a conversation did.</summary>
public enum ConversationLoad
{
    Shown,

    /// <summary>The operator has no such conversation.</summary>
    NotFound,

    /// <summary>Another conversation was opened (or a new one begun) while this one was being read: it is not shown.</summary>
    Overtaken,
}

/// <summary>How a reply the page started or followed came out, for what the page does next.</summary>
public enum ReplyOutcome
{
    /// <summary>Nothing was sent or stored (a budget refused it, or there was nothing to send): the question is off the page.</summary>
    NotSent,

    /// <summary>The reply ended while shown: complete, stopped or failed.</summary>
    Ended,

    /// <summary>The page stopped following it (another conversation was opened, or the page left); the reply goes on.</summary>
    Detached,
}

/// <summary>
/// One operator's chat as the page shows it: the open conversation's messages, the reply being followed, the notes
/// about it and what was spent. The reply logic (send, follow, regenerate, edit, retry, choose, stop) lives here,
/// apart from rendering: <see cref="Changed"/> tells the page when the list or the session's state changed, while a
/// growing reply tells only its own message.
/// </summary>
public sealed class ChatSession(string userId, ReplyService replies, LiveReplies liveReplies, ConversationStore conversations, ILogger logger) : IDisposable
{
    private readonly List<ChatMessage> messages = [];
    // The reply followed here, and the switch that stops following it (the reply itself goes on).
    private LiveReply? watched;
    private CancellationTokenSource? watching;
    // Every reply this page started or followed, kept going until it ends or the page closes: looking at another
    // conversation is not leaving (the grace period is for replies nobody has open).
    private readonly List<IDisposable> kept = [];
    // What the replies of questions edited away cost: paid for, no longer shown.
    private decimal hiddenCost;
    // Moves with each conversation opened or cleared: a slower load of an earlier one is dropped.
    private int loads;
    private bool disposed;

    public IReadOnlyList<ChatMessage> Messages => messages;

    /// <summary>Moves whenever the list of messages or the session's state changes; not as a reply's text grows.</summary>
    public int Version { get; private set; }

    /// <summary>Moves when the newest message should be brought into view: a turn started, or a conversation opened.</summary>
    public int ScrollRequests { get; private set; }

    /// <summary>The open conversation; null for a new one until its first reply is stored.</summary>
    public string? ConversationId { get; private set; }

    public string? Title { get; private set; }

    /// <summary>The agent to send to: chosen for a new conversation, the conversation's own once it has one.</summary>
    public string? AgentId { get; private set; }

    /// <summary>A reply is being written here: nothing else can be sent or made again until it ends.</summary>
    public bool Streaming { get; private set; }

    /// <summary>The reply being written has started and can be stopped.</summary>
    public bool CanStop => watched is not null;

    /// <summary>What the replies sent from this page cost, once each has ended.</summary>
    public decimal SessionTotal { get; private set; }

    /// <summary>Every reply of the conversation was paid for: the shown ones, their siblings, and those of questions edited away.</summary>
    public decimal ConversationTotal => hiddenCost + ChatTranscript.Spent(messages);

    /// <summary>Why the last request left out the conversation's oldest messages.</summary>
    public string? TrimmedNote { get; private set; }

    /// <summary>Why a budget refused the last message.</summary>
    public string? BudgetRefusal { get; private set; }

    /// <summary>Why the last message was refused because the agent's model is retired.</summary>
    public string? ModelRefusal { get; private set; }

    /// <summary>A reply was refused because the operator has no Anthropic key.</summary>
    public bool KeyMissing { get; private set; }

    public event Action? Changed;

    /// <summary>A new conversation was stored by its first reply: its id, for the page's address.</summary>
    public event Action<string>? ConversationStarted;

    public bool CanSend(string text) => !Streaming && AgentId is not null && !string.IsNullOrWhiteSpace(text);

    /// <summary>The agent for a new conversation; a conversation with messages keeps its own.</summary>
    public void ChooseAgent(string? agentId)
    {
        if (!Streaming && messages.Count == 0)
        {
            AgentId = agentId;
            Notify();
        }
    }

    /// <summary>Empties the chat for a new conversation, no longer following any reply.</summary>
    public void Clear()
    {
        loads++;
        Detach();
        messages.Clear();
        hiddenCost = 0m;
        ConversationId = null;
        Title = null;
        TrimmedNote = null;
        Notify();
    }

    /// <summary>Shows the conversation as stored.</summary>
    public async Task<ConversationLoad> LoadAsync(string conversationId)
    {
        var mine = ++loads;
        var detail = await conversations.GetAsync(userId, conversationId);
        if (mine != loads || disposed)
        {
            return ConversationLoad.Overtaken;
        }

        if (detail is null)
        {
            return ConversationLoad.NotFound;
        }

        Detach();
        ConversationId = conversationId;
        AgentId = detail.Conversation.AgentId;
        Title = detail.Conversation.Title;
        messages.Clear();
        var shown = ChatTranscript.Shown(detail.Messages);
        messages.AddRange(shown);
        hiddenCost = ChatTranscript.Unshown(detail.Messages, shown);
        TrimmedNote = null;
        MarkLastTurn();
        ScrollRequests++;
        Notify();
        return ConversationLoad.Shown;
    }

    /// <summary>
    /// Follows the reply the loaded conversation is waiting for, replayed from its first event and then live; null when
    /// none is being written.
    /// </summary>
    public Task<ReplyOutcome>? FollowLiveReply()
    {
        if (disposed || messages.LastOrDefault() is not { State: ChatMessageState.Streaming, Id: { } id } last || liveReplies.Find(userId, id) is not { } live)
        {
            return null;
        }

        Detach();
        KeepWhileOpen(live);
        return FollowAsync(live, last, watching = new CancellationTokenSource());
    }

    /// <summary>A reply to the open conversation is being written, sent from another tab, and this page does not follow it yet.</summary>
    public bool AnsweredElsewhere => !Streaming && ConversationId is { } open && liveReplies.Answering(userId, open) is not null;

    public async Task<ReplyOutcome> SendAsync(string text)
    {
        if (!CanSend(text))
        {
            return ReplyOutcome.NotSent;
        }

        var (agentId, conversationId) = (AgentId!, ConversationId);
        var question = new ChatMessage(MessageRole.User, text);
        var reply = new ChatMessage(MessageRole.Assistant, state: ChatMessageState.Streaming) { RetryText = text };
        messages.Add(question);
        messages.Add(reply);
        return await StartAndFollowAsync(reply, () => replies.StartAsync(userId, new SendMessageRequest(agentId, conversationId, text)), undo: () =>
        {
            messages.Remove(question);
            messages.Remove(reply);
        });
    }

    /// <summary>A failed reply of the last turn: made again in its place; one never stored is sent again.</summary>
    public async Task<ReplyOutcome> RetryAsync(ChatMessage failed)
    {
        if (failed.Id is not null)
        {
            return await RegenerateAsync(failed);
        }

        if (Streaming || failed.RetryText is not { } text || messages.IndexOf(failed) is not (> 0 and var at))
        {
            return ReplyOutcome.NotSent;
        }

        var removed = messages.GetRange(at - 1, 2);
        messages.RemoveRange(at - 1, 2);
        var outcome = await SendAsync(text);
        if (outcome == ReplyOutcome.NotSent)
        {
            // Refused again before anything was sent: the failed pair stays, to be retried later.
            messages.InsertRange(at - 1, removed);
            Notify();
        }

        return outcome;
    }

    /// <summary>A new reply to the last question, in the place of <paramref name="old"/>, which stays a sibling to flip back to.</summary>
    public async Task<ReplyOutcome> RegenerateAsync(ChatMessage old)
    {
        var at = messages.IndexOf(old);
        if (Streaming || old.Id is not { } id || at < 0)
        {
            return ReplyOutcome.NotSent;
        }

        var reply = new ChatMessage(MessageRole.Assistant, state: ChatMessageState.Streaming);
        reply.Siblings = [.. old.Siblings ?? [old], reply];
        messages[at] = reply;
        return await StartAndFollowAsync(reply, () => replies.RegenerateAsync(userId, id), undo: () => messages[at] = old);
    }

    /// <summary>
    /// The last question as the operator edited it, sent with the same history; it replaces the turn, and the old
    /// version stays a sibling to flip back to.
    /// </summary>
    public async Task<ReplyOutcome> EditAsync(ChatMessage old, string text)
    {
        var at = messages.IndexOf(old);
        if (Streaming || string.IsNullOrWhiteSpace(text) || old.Id is not { } id || at < 0)
        {
            return ReplyOutcome.NotSent;
        }

        var replaced = messages.GetRange(at, messages.Count - at);
        messages.RemoveRange(at, replaced.Count);
        hiddenCost += ChatTranscript.Spent(replaced);
        var question = new ChatMessage(MessageRole.User, text);
        question.Siblings = [.. old.Siblings ?? [old], question];
        var reply = new ChatMessage(MessageRole.Assistant, state: ChatMessageState.Streaming) { RetryText = text };
        messages.Add(question);
        messages.Add(reply);
        return await StartAndFollowAsync(reply, () => replies.EditAsync(userId, id, text), undo: () =>
        {
            messages.RemoveRange(at, messages.Count - at);
            messages.AddRange(replaced);
            hiddenCost -= ChatTranscript.Spent(replaced);
        });
    }

    /// <summary>
    /// Another reply to the last question, or another version of it, becomes the one the conversation goes on from;
    /// why not, if it cannot.
    /// </summary>
    public async Task<string?> ChooseAsync(ChatMessage sibling)
    {
        if (Streaming || sibling.Id is not { } id || ConversationId is not { } conversationId)
        {
            return null;
        }

        string? problem = null;
        try
        {
            await conversations.ChooseAsync(userId, id);
        }
        catch (Exception e) when (e is InvalidInputException or StreamStartException)
        {
            problem = e.Message;
        }

        await LoadAsync(conversationId);
        return problem;
    }

    /// <summary>Stops the reply being written, wherever it was started.</summary>
    public void Stop() => watched?.Stop();

    public void Renamed(string conversationId, string title)
    {
        if (conversationId == ConversationId)
        {
            Title = title;
            Notify();
        }
    }

    public void DismissTrimmedNote()
    {
        TrimmedNote = null;
        Notify();
    }

    public void DismissBudgetRefusal()
    {
        BudgetRefusal = null;
        Notify();
    }

    /// <summary>
    /// Starts the reply shown in <paramref name="reply"/> and follows it. A refusal that stored nothing (a budget) runs
    /// <paramref name="undo"/> and says why; any other shows on the reply.
    /// </summary>
    private async Task<ReplyOutcome> StartAndFollowAsync(ChatMessage reply, Func<Task<LiveReply>> start, Action undo)
    {
        // A load still reading (another tab's reply announced) would replace the turn being sent: it is dropped.
        loads++;
        Detach();
        // Made now, so that leaving before the reply has started (another conversation, closing the tab) detaches from it too.
        var sending = watching = new CancellationTokenSource();
        Streaming = true;
        MarkLastTurn();
        ScrollRequests++;
        TrimmedNote = null;
        BudgetRefusal = null;
        ModelRefusal = null;
        Notify();

        LiveReply live;
        try
        {
            // Not tied to the page: the server owns the reply from here, and the page only watches it.
            live = await start();
        }
        catch (Exception e)
        {
            if (e is StreamStartException { Failure: StreamStartFailure.NoApiKey })
            {
                KeyMissing = true;
            }
            else if (e is StreamStartException { Failure: StreamStartFailure.BudgetExceeded or StreamStartFailure.ModelRetired } refusal && !sending.IsCancellationRequested)
            {
                // Nothing was sent or stored: the banner says why.
                if (refusal.Failure == StreamStartFailure.BudgetExceeded)
                {
                    BudgetRefusal = e.Message;
                }
                else
                {
                    ModelRefusal = e.Message;
                }

                undo();
                Streaming = false;
                MarkLastTurn();
                Notify();
                return ReplyOutcome.NotSent;
            }
            else if (e is StreamStartException { StoredReply: var (conversationId, messageId) })
            {
                // Anthropic refused the call, and the failed reply was stored: it can be retried in place.
                reply.Id = messageId;
                if (!sending.IsCancellationRequested)
                {
                    Started(conversationId);
                }
            }

            reply.Finish(ChatMessageState.Failed, error: e switch
            {
                StreamStartException or InvalidInputException => e.Message,
                _ => "The reply failed unexpectedly; try again.",
            });
            if (e is not (StreamStartException or InvalidInputException))
            {
                // Shown on the message instead of ending the operator's whole session.
                logger.LogError(e, "Sending a message failed unexpectedly");
            }

            if (sending.IsCancellationRequested)
            {
                return ReplyOutcome.Detached;
            }

            Streaming = false;
            MarkLastTurn();
            Notify();
            return ReplyOutcome.Ended;
        }

        KeepWhileOpen(live);
        _ = CountWhenEndedAsync(live);
        return sending.IsCancellationRequested ? ReplyOutcome.Detached : await FollowAsync(live, reply, sending);
    }

    /// <summary>Shows <paramref name="live"/>'s events in <paramref name="reply"/> until it ends or <paramref name="switchOff"/> detaches the page.</summary>
    private async Task<ReplyOutcome> FollowAsync(LiveReply live, ChatMessage reply, CancellationTokenSource switchOff)
    {
        watched = live;
        Streaming = true;
        MarkLastTurn();
        // Stop can be pressed from now on.
        Notify();
        var ct = switchOff.Token;
        try
        {
            await foreach (var (_, e) in live.WatchAsync(0, ct))
            {
                Apply(reply, e);
            }

            if (reply.State == ChatMessageState.Streaming)
            {
                // Ended with a cost but no done: stopped, here or from another tab.
                reply.Finish(ChatMessageState.Stopped);
            }
            else if (reply is { State: ChatMessageState.Failed, Cost: null })
            {
                // A failed reply's stream tells no cost, but its rows hold what it was billed: show it now, as a reload would.
                await ShowRecordedCostAsync(reply, live);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Detached: the operator opened another conversation or left; the reply goes on without this page.
            return ReplyOutcome.Detached;
        }
        finally
        {
            // Unless a later follow (of this same reply, say) has taken over.
            if (watching == switchOff)
            {
                watched = null;
                Streaming = false;
                MarkLastTurn();
            }
        }

        Notify();
        return ReplyOutcome.Ended;
    }

    private void Apply(ChatMessage reply, StreamEvent e)
    {
        switch (e)
        {
            case MetaEvent meta:
                reply.Id = meta.MessageId;
                if (messages.IndexOf(reply) is > 0 and var at && messages[at - 1] is { IsUser: true, Id: null } question)
                {
                    question.Id = meta.QuestionId;
                }

                Started(meta.ConversationId);
                if (meta.HistoryMessagesTrimmed > 0)
                {
                    TrimmedNote = $"This conversation is longer than the model's context window: its {meta.HistoryMessagesTrimmed} oldest messages were left out of this request.";
                    Notify();
                }

                break;
            case ChunkEvent chunk:
                // The message's own component renders it; nothing else renders per chunk.
                reply.Append(chunk.Text);
                break;
            case ThinkingEvent thinking:
                reply.AppendThinking(thinking.Text);
                break;
            case ProgressEvent progress:
                reply.AppendProgress(progress.Text);
                break;
            case ToolEvent tool:
                reply.SetTool(tool);
                break;
            case CitationEvent citation:
                reply.AddCitation(citation);
                break;
            case CostEvent cost:
                reply.SetCost(cost);
                break;
            case DoneEvent:
                reply.Finish(ChatMessageState.Complete);
                break;
            case ErrorEvent error:
                reply.Finish(ChatMessageState.Failed, error: error.Error);
                break;
        }
    }

    private async Task ShowRecordedCostAsync(ChatMessage reply, LiveReply live)
    {
        try
        {
            if (await RecordedAsync(live) is { } recorded && ChatMessage.From(recorded, null).Cost is { } cost)
            {
                reply.SetCost(cost);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The reply shows without its cost, as it ended; a reload shows it.
            logger.LogWarning(e, "Reading a failed reply's recorded cost failed");
        }
    }

    /// <summary>The reply's message as stored: its cost once it has ended.</summary>
    private async Task<MessageView?> RecordedAsync(LiveReply live) =>
        (await conversations.GetAsync(userId, live.ConversationId))?.Messages.FirstOrDefault(m => m.Id == live.MessageId);

    /// <summary>
    /// Adds a reply sent from here to the session total once it has ended and its cost is recorded, whichever conversation
    /// the page shows by then.
    /// </summary>
    private async Task CountWhenEndedAsync(LiveReply live)
    {
        try
        {
            await live.Finished;
            if (await RecordedAsync(live) is { Cost: { } cost } && !disposed)
            {
                SessionTotal += cost;
                Notify();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Adding a reply to the session total failed");
        }
    }

    /// <summary>The first reply of a new conversation stored it: from now on messages go to it.</summary>
    private void Started(string conversationId)
    {
        if (ConversationId is null && !disposed)
        {
            ConversationId = conversationId;
            ConversationStarted?.Invoke(conversationId);
        }
    }

    /// <summary>Only the last question and its reply can be made again, and not while a reply is being written.</summary>
    private void MarkLastTurn()
    {
        var lastQuestion = Streaming ? null : messages.LastOrDefault(m => m.IsUser);
        var lastReply = lastQuestion is not null && messages[^1] is { IsUser: false } reply ? reply : null;
        foreach (var message in messages)
        {
            message.IsLastTurn = message == lastQuestion || message == lastReply;
        }
    }

    /// <summary>Stops showing the followed reply; it goes on, and the conversation shows it when opened again.</summary>
    private void KeepWhileOpen(LiveReply live)
    {
        var keeper = live.Keep();
        lock (kept)
        {
            if (disposed)
            {
                keeper.Dispose();
                return;
            }

            kept.Add(keeper);
        }

        // Released as the reply ends, so a long-open page holds no finished reply's events.
        _ = live.Finished.ContinueWith(_ => Release(keeper), TaskScheduler.Default);
    }

    private void Release(IDisposable keeper)
    {
        lock (kept)
        {
            kept.Remove(keeper);
        }

        keeper.Dispose();
    }

    private void Detach()
    {
        watching?.Cancel();
        watching?.Dispose();
        watching = null;
        watched = null;
        Streaming = false;
    }

    private void Notify()
    {
        Version++;
        if (!disposed)
        {
            Changed?.Invoke();
        }
    }

    public void Dispose()
    {
        IDisposable[] released;
        lock (kept)
        {
            disposed = true;
            released = [.. kept];
            kept.Clear();
        }

        Detach();
        foreach (var keeper in released)
        {
            // The page is closed: from here the grace period decides, as for any reply nobody watches.
            keeper.Dispose();
        }
    }
}
