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

/// <summary>How a turn the page sent (or a reply it followed) went, for what the page does next.</summary>
public enum TurnOutcome
{
    /// <summary>Nothing was sent or stored (a budget refused it, or there was nothing to send): the question is off the page.</summary>
    NotSent,

    /// <summary>The reply ended while shown: complete, stopped or failed.</summary>
    Ended,

    /// <summary>The page stopped following it (another conversation was opened, or the page left); the reply goes on.</summary>
    Detached,
}

/// <summary>
/// One operator's chat as the page shows it: the open conversation (<see cref="ChatTranscript"/>), the reply being
/// followed (<see cref="ReplyFollower"/>), the notes about it and what was spent. The reply logic (send, follow,
/// regenerate, edit, retry, choose, stop) lives here, apart from rendering: <see cref="Changed"/> tells the page when the
/// list or the session's state changed, while a growing reply tells only its own message.
/// </summary>
public sealed class ChatSession(string userId, ReplyService replies, LiveReplies liveReplies, ConversationStore conversations, ILogger logger) : IDisposable
{
    private readonly ChatTranscript transcript = new();
    private readonly ReplyFollower follower = new();
    // Moves with each conversation opened or cleared: a slower load of an earlier one is dropped.
    private int loads;
    private bool disposed;

    public IReadOnlyList<ChatMessage> Messages => transcript.Messages;

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
    public bool CanStop => follower.Followed is not null;

    /// <summary>What the replies sent from this page cost, once each has ended.</summary>
    public decimal SessionTotal { get; private set; }

    /// <summary>Every reply of the conversation was paid for: the shown ones, their siblings, and those of questions edited away.</summary>
    public decimal ConversationTotal => transcript.Total;

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
        if (!Streaming && Messages.Count == 0)
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
        transcript.Clear();
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
        transcript.Show(detail.Messages);
        TrimmedNote = null;
        transcript.MarkLastTurn(Streaming);
        ScrollRequests++;
        Notify();
        return ConversationLoad.Shown;
    }

    /// <summary>
    /// Follows the reply the loaded conversation is waiting for, replayed from its first event and then live; null when
    /// none is being written.
    /// </summary>
    public Task<TurnOutcome>? FollowLiveReply()
    {
        if (disposed || Messages.LastOrDefault() is not { State: ChatMessageState.Streaming, Id: { } id } last || liveReplies.Find(userId, id) is not { } live)
        {
            return null;
        }

        var following = follower.Begin();
        follower.Keep(live);
        return FollowAsync(live, last, following);
    }

    /// <summary>A reply to the open conversation is being written, sent from another tab, and this page does not follow it yet.</summary>
    public bool AnsweredElsewhere => !Streaming && ConversationId is { } open && liveReplies.Answering(userId, open) is not null;

    public async Task<TurnOutcome> SendAsync(string text)
    {
        if (!CanSend(text))
        {
            return TurnOutcome.NotSent;
        }

        var (agentId, conversationId) = (AgentId!, ConversationId);
        return await StartAndFollowAsync(transcript.Send(text), () => replies.StartAsync(userId, new SendMessageRequest(agentId, conversationId, text)));
    }

    /// <summary>A failed reply of the last turn: made again in its place; one never stored is sent again.</summary>
    public async Task<TurnOutcome> RetryAsync(ChatMessage failed)
    {
        if (failed.Id is not null)
        {
            return await RegenerateAsync(failed);
        }

        if (failed.RetryText is not { } text || !CanSend(text) || transcript.Retry(failed) is not { } draft)
        {
            return TurnOutcome.NotSent;
        }

        // Refused again before anything was sent, the failed pair comes back, to be retried later.
        var (agentId, conversationId) = (AgentId!, ConversationId);
        return await StartAndFollowAsync(draft, () => replies.StartAsync(userId, new SendMessageRequest(agentId, conversationId, text)));
    }

    /// <summary>A new reply to the last question, in the place of <paramref name="old"/>, which stays a sibling to flip back to.</summary>
    public async Task<TurnOutcome> RegenerateAsync(ChatMessage old)
    {
        if (Streaming || old.Id is not { } id || transcript.Regenerate(old) is not { } draft)
        {
            return TurnOutcome.NotSent;
        }

        return await StartAndFollowAsync(draft, () => replies.RegenerateAsync(userId, id));
    }

    /// <summary>
    /// The last question as the operator edited it, sent with the same history; it replaces the turn, and the old
    /// version stays a sibling to flip back to.
    /// </summary>
    public async Task<TurnOutcome> EditAsync(ChatMessage old, string text)
    {
        if (Streaming || string.IsNullOrWhiteSpace(text) || old.Id is not { } id || transcript.Edit(old, text) is not { } draft)
        {
            return TurnOutcome.NotSent;
        }

        return await StartAndFollowAsync(draft, () => replies.EditAsync(userId, id, text));
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
    public void Stop() => follower.Followed?.Stop();

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
    /// Starts the reply of <paramref name="draft"/> and follows it. A refusal that stored nothing (a budget, a retired
    /// model) rolls the draft back and says why; any other shows on the reply.
    /// </summary>
    private async Task<TurnOutcome> StartAndFollowAsync(ChatTranscript.TurnDraft draft, Func<Task<LiveReply>> start)
    {
        // A load still reading (another tab's reply announced) would replace the turn being sent: it is dropped.
        loads++;
        // Begun now, so that leaving before the reply has started (another conversation, closing the tab) detaches from it too.
        var following = follower.Begin();
        Streaming = true;
        transcript.MarkLastTurn(Streaming);
        ScrollRequests++;
        TrimmedNote = null;
        BudgetRefusal = null;
        ModelRefusal = null;
        Notify();

        var reply = draft.Reply;
        LiveReply live;
        try
        {
            // Not tied to the page: the server owns the reply from here, and the page only watches it.
            live = await start();
        }
        catch (Exception e)
        {
            if (e is StreamStartException { Failure: StreamStartFailure.NoAnthropicKey })
            {
                KeyMissing = true;
            }
            else if (e is StreamStartException { Failure: StreamStartFailure.BudgetExceeded or StreamStartFailure.ModelRetired } refusal && !following.SwitchedOff)
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

                draft.Rollback();
                follower.End(following);
                Streaming = false;
                transcript.MarkLastTurn(Streaming);
                Notify();
                return TurnOutcome.NotSent;
            }
            else if (e is StreamStartException { StoredReply: var (conversationId, messageId) })
            {
                // Anthropic refused the call, and the failed reply was stored: it can be retried in place.
                reply.Id = messageId;
                if (!following.SwitchedOff)
                {
                    Started(conversationId);
                }
            }

            draft.Commit();
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

            if (!follower.End(following))
            {
                return TurnOutcome.Detached;
            }

            Streaming = false;
            transcript.MarkLastTurn(Streaming);
            Notify();
            return TurnOutcome.Ended;
        }

        draft.Commit();
        follower.Keep(live);
        _ = CountWhenEndedAsync(live);
        return following.SwitchedOff ? TurnOutcome.Detached : await FollowAsync(live, reply, following);
    }

    /// <summary>Shows <paramref name="live"/>'s events in <paramref name="reply"/> until it ends or the page stops following it.</summary>
    private async Task<TurnOutcome> FollowAsync(LiveReply live, ChatMessage reply, ReplyFollower.Following following)
    {
        following.Reply = live;
        Streaming = true;
        transcript.MarkLastTurn(Streaming);
        // Stop can be pressed from now on.
        Notify();
        try
        {
            await foreach (var (_, e) in live.WatchAsync(0, following.Token))
            {
                Apply(reply, e);
            }

            if (reply.State == ChatMessageState.Streaming)
            {
                // Ended with a cost but no done: stopped, here or from another tab.
                reply.Finish(ChatMessageState.Stopped);
            }
            else if (reply is { State: ChatMessageState.Failed, Cost: null } && live.SettledCost is { } billed)
            {
                // A failed reply's stream tells no cost, but it was billed: show it now, as a reload would.
                reply.SetCost(billed);
            }
        }
        catch (OperationCanceledException) when (following.SwitchedOff)
        {
            // Detached: the operator opened another conversation or left; the reply goes on without this page.
            return TurnOutcome.Detached;
        }
        finally
        {
            // Unless a later follow (of this same reply, say) has taken over.
            if (follower.End(following))
            {
                Streaming = false;
                transcript.MarkLastTurn(Streaming);
            }
        }

        Notify();
        return TurnOutcome.Ended;
    }

    private void Apply(ChatMessage reply, StreamEvent e)
    {
        switch (e)
        {
            case MetaEvent meta:
                reply.Id = meta.MessageId;
                if (transcript.UnnamedQuestionOf(reply) is { } question)
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

    /// <summary>
    /// Adds a reply sent from here to the session total once it has ended with its cost recorded, whichever conversation
    /// the page shows by then.
    /// </summary>
    private async Task CountWhenEndedAsync(LiveReply live)
    {
        await live.Finished;
        if (live.SettledCost is { } billed && !disposed)
        {
            SessionTotal += billed.TotalCost;
            Notify();
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

    /// <summary>Stops showing the followed reply; it goes on, and the conversation shows it when opened again.</summary>
    private void Detach()
    {
        follower.Detach();
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
        disposed = true;
        follower.Dispose();
    }
}
