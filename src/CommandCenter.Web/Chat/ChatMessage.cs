using System.Text;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Streaming;

namespace CommandCenter.Web.Chat;

public enum ChatMessageState
{
    Complete,
    Streaming,
    Stopped,
    Failed,
}

/// <summary>One message as the page shows it; <see cref="Version"/> changes whenever what it shows changes, so only that message re-renders.</summary>
public sealed class ChatMessage
{
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _thinking = new();
    private readonly StringBuilder _progress = new();
    // Folded as the server folds them, so the page shows what a reload will.
    private readonly ReplyActivityBuilder _activity = new();
    private string? _textCache;
    private string? _thinkingCache;
    private string? _progressCache;

    public ChatMessage(string role, string text = "", ChatMessageState state = ChatMessageState.Complete)
    {
        Role = role;
        _text.Append(text);
        State = state;
    }

    public string Role { get; }
    public bool IsUser => Role == MessageRole.User;

    /// <summary>The stored message's id: known once it is stored (a reply's, from its first event).</summary>
    public string? Id { get; set; }

    /// <summary>
    /// The versions of this message, this one among them, in the order they were written: a reply's are the replies to
    /// its question (more than one once regenerated), a question's are its edits and the question they edited. Null for
    /// a question never edited.
    /// </summary>
    public IReadOnlyList<ChatMessage>? Siblings { get; set; }

    /// <summary>Of the conversation's last turn, which the operator may make again (regenerate, retry, edit, choose a sibling or a version).</summary>
    public bool IsLastTurn
    {
        get;
        set
        {
            if (field != value)
            {
                field = value;
                Notify();
            }
        }
    }
    public ChatMessageState State { get; private set; }
    public CostEvent? Cost { get; private set; }
    public string? Error { get; private set; }
    /// <summary>The operator's text to send again when the reply failed.</summary>
    public string? RetryText { get; init; }
    public int Version { get; private set; }

    /// <summary>When the message was written (the reply: when it started).</summary>
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Raised after each change, so that the one component showing this message can render it, and nothing else.</summary>
    public event Action? Changed;

    private void Notify()
    {
        Version++;
        Changed?.Invoke();
    }

    public string Text => _textCache ??= _text.ToString();

    /// <summary>The summarised thinking the agent shows, as it streamed.</summary>
    public string Thinking => _thinkingCache ??= _thinking.ToString();

    /// <summary>The model's notes between tool calls, as they streamed (paragraphs apart).</summary>
    public string Progress => _progressCache ??= _progress.ToString();

    /// <summary>Each server tool call, in its latest status.</summary>
    public IReadOnlyList<ToolEvent> Tools => _activity.Tools;

    /// <summary>The sources the reply cites, each once, numbered in order of first citation.</summary>
    public IReadOnlyList<CitationEvent> Citations => _activity.Citations;

    public void AppendThinking(string text)
    {
        _thinking.Append(text);
        _thinkingCache = null;
        Notify();
    }

    public void AppendProgress(string text)
    {
        _progress.Append(text);
        _progressCache = null;
        Notify();
    }

    /// <summary>A call's later status replaces its running one (calls are told in order, so the first running one of that tool).</summary>
    public void SetTool(ToolEvent tool)
    {
        _activity.SetTool(tool);
        Notify();
    }

    public void AddCitation(CitationEvent citation)
    {
        if (_activity.AddCitation(citation))
        {
            Notify();
        }
    }

    public void Append(string chunk)
    {
        _text.Append(chunk);
        _textCache = null;
        Notify();
    }

    public void Finish(ChatMessageState state, string? error = null)
    {
        State = state;
        Error = error ?? Error;
        Notify();
    }

    public void SetCost(CostEvent cost)
    {
        Cost = cost;
        Notify();
    }

    /// <summary>A message loaded from the conversation's history, with what its reply did.</summary>
    public static ChatMessage From(MessageView saved, string? retryText)
    {
        var message = Loaded(saved, retryText);
        message.Id = saved.Id;
        if (saved.Activity is { } activity)
        {
            message._thinking.Append(activity.Thinking);
            message._progress.Append(activity.Progress);
            message._activity.AddStored(activity);
        }

        return message;
    }

    private static ChatMessage Loaded(MessageView saved, string? retryText) =>
        new(saved.Role, saved.Content, saved.Status switch
        {
            MessageStatus.Stopped => ChatMessageState.Stopped,
            MessageStatus.Failed => ChatMessageState.Failed,
            MessageStatus.Streaming => ChatMessageState.Streaming,
            _ => ChatMessageState.Complete,
        })
        {
            RetryText = retryText,
            CreatedAt = saved.CreatedAt,
            // A reply still being written has only the start's usage stored; its cost shows when it ends.
            Cost = saved.Role == MessageRole.Assistant && saved.Status != MessageStatus.Streaming && saved.Cost is { } cost
                ? new CostEvent(saved.InputTokens, saved.OutputTokens, saved.CacheWriteTokens, saved.CacheReadTokens, cost, saved.CacheSavings, "", saved.StopReason, saved.CostEstimated,
                    saved.WebSearchRequests > 0 ? new ServerToolUse(saved.WebSearchRequests) : null, saved.ToolFees, saved.ThinkingTokens, saved.Costs)
                : null,
            Error = saved.Error,
        };
}
