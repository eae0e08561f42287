using CommandCenter.Services.Streaming;
using CommandCenter.Services.Validation;

namespace CommandCenter.Services.Conversations;

/// <summary>
/// A conversation's last turn, made again: its reply regenerated (the question stays, the reply it replaces becomes a
/// sibling) or its question edited (a new version of the question: the old one and its reply are set aside, to be
/// chosen back). Earlier turns never change, so what is sent upstream is the history before the last question, exactly
/// as the first time.
/// </summary>
internal sealed record LastTurn(Message? Question, string Text, IReadOnlyList<Message> Replaced, IReadOnlyList<Message> Before)
{
    /// <summary>For an edit: the first version of the question edited, which the new version names.</summary>
    public string? VersionOf { get; init; }

    /// <summary>The question's files: an edit changes its text and keeps them.</summary>
    public IReadOnlyList<Files.Attachment> Attachments { get; init; } = [];

    /// <param name="history">Every message of the conversation, in order.</param>
    /// <param name="replaces">A reply to the last question (regenerate), or the last question (edit).</param>
    /// <param name="editedText">The edited question; ignored when regenerating.</param>
    /// <exception cref="StreamStartException">No such message in the conversation, or the turn is still being answered.</exception>
    /// <exception cref="InvalidInputException">The message is not of the last turn.</exception>
    public static LastTurn Of(IReadOnlyList<Message> history, string replaces, string editedText)
    {
        var target = history.SingleOrDefault(m => m.Id == replaces)
            ?? throw new StreamStartException(StreamStartFailure.ConversationNotFound, $"Message with ID {replaces} not found");
        var current = history.Where(m => !m.Superseded).ToList();
        var question = current.LastOrDefault(m => m.Role == MessageRole.User);
        var replies = question is null ? [] : current.Where(m => m.Position > question.Position).ToList();
        if (replies.Any(m => m.Status == MessageStatus.Streaming))
        {
            throw StreamStartException.ConversationBusy();
        }

        var before = question is null ? [] : current.Where(m => m.Position < question.Position).ToList();
        if (target.Role == MessageRole.Assistant)
        {
            if (question is null || !Answers(target, question))
            {
                throw InvalidInputException.For("messageId", "Only a reply to the conversation's last message can be regenerated.");
            }

            return new LastTurn(question, question.Content, replies, before) { Attachments = question.Attachments ?? [] };
        }

        if (target.Id != question?.Id)
        {
            throw InvalidInputException.For("messageId", "Only the conversation's last message can be edited.");
        }

        return new LastTurn(null, editedText, [question, .. replies], before) { VersionOf = question.VersionOfId ?? question.Id, Attachments = question.Attachments ?? [] };
    }

    /// <summary>A reply to <paramref name="question"/>: named as such, or (stored before replies named it) the message right after it.</summary>
    internal static bool Answers(Message reply, Message question) =>
        reply.ReplyToId == question.Id || (reply.ReplyToId is null && reply.Position == question.Position + 1);
}
