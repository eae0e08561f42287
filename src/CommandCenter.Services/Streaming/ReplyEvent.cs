namespace CommandCenter.Services.Streaming;

/// <summary>An event of a reply with its number: 1 for <see cref="MetaEvent"/>, then one more for each event after it.</summary>
public readonly record struct ReplyEvent(long Id, StreamEvent Event);

/// <summary>Why a reply was ended before Anthropic finished it.</summary>
public enum ReplyStop
{
    /// <summary>Stop in the UI, or <c>POST …/messages/{id}/stop</c>.</summary>
    Operator,

    /// <summary>Nobody watched it for <see cref="StreamingOptions.UnwatchedGrace"/>.</summary>
    Unwatched,

    /// <summary>The server is stopping.</summary>
    Shutdown,

    /// <summary>Its start could not be recorded, so it may not run.</summary>
    Unrecorded,

    /// <summary>An administrator disabled the account.</summary>
    AccountDisabled,
}
