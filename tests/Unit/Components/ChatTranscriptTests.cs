using CommandCenter.Services.Conversations;
using CommandCenter.Web.Chat;

namespace CommandCenter.Unit.Components;

public sealed class ChatTranscriptTests
{
    private static int position;

    private static MessageView Question(string id, bool superseded = false) =>
        new(id, position++, MessageRole.User, id, MessageStatus.Complete, 0, 0, 0, 0, null, 0m, null, null, null, DateTimeOffset.UnixEpoch, null, false, Superseded: superseded);

    private static MessageView Version(string id, string versionOf, bool superseded = false) =>
        new(id, position++, MessageRole.User, id, MessageStatus.Complete, 0, 0, 0, 0, null, 0m, null, null, null, DateTimeOffset.UnixEpoch, null, false,
            Superseded: superseded, VersionOfId: versionOf);

    private static MessageView Reply(string id, string? replyTo, decimal cost, bool superseded = false, string status = MessageStatus.Complete) =>
        new(id, position++, MessageRole.Assistant, id, status, 1, 1, 0, 0, cost, 0m, null, null, null, DateTimeOffset.UnixEpoch, null, false, ReplyToId: replyTo, Superseded: superseded);

    [Fact]
    public void EditedQuestionsAreLeftOutWithTheirRepliesAndARegeneratedReplyIsTheSiblingOfTheOneShown()
    {
        MessageView[] stored =
        [
            Question("q1"), Reply("a1", null, 0.1m), // stored before replies named their question
            Question("q2"), Reply("a2", "q2", 0.2m, superseded: true, status: MessageStatus.Failed), Reply("a3", "q2", 0.3m),
            Question("q3", superseded: true), Reply("a4", "q3", 0.4m),
            Question("q4"), Reply("a5", "q4", 0.5m),
            Question("q5"), Reply("a6", "q5", 0.06m, status: MessageStatus.Streaming),
        ];

        var shown = ChatTranscript.Shown(stored);

        shown.Select(m => m.Id).ShouldBe(["q1", "a1", "q2", "a3", "q4", "a5", "q5", "a6"]);
        shown[3].Siblings!.Select(m => m.Id).ShouldBe(["a2", "a3"]);
        shown[3].Siblings![0].State.ShouldBe(ChatMessageState.Failed);
        shown[1].Siblings!.Select(m => m.Id).ShouldBe(["a1"]);
        shown[0].Siblings.ShouldBeNull();
        ChatTranscript.Spent(shown).ShouldBe(0.1m + 0.2m + 0.3m + 0.5m, "a shown reply and its siblings; not the edited-away turn's, nor one still being written");
        ChatTranscript.Unshown(stored, shown).ShouldBe(0.4m, "the edited-away turn's reply; the one being written counts once it ends");
    }

    [Fact]
    public void AnEditedQuestionShowsTheChosenVersionWithItsOwnRepliesAndTheOthersAsItsSiblings()
    {
        // q2 was edited (q2b), then edited again (q2c), then q2 was chosen back, with the second of its two replies.
        MessageView[] stored =
        [
            Question("q1"), Reply("a1", "q1", 0.1m),
            Question("q2"), Reply("a2", "q2", 0.2m, superseded: true), Reply("a3", "q2", 0.3m),
            Version("q2b", "q2", superseded: true), Reply("a4", "q2b", 0.4m, superseded: true),
            Version("q2c", "q2", superseded: true), Reply("a5", "q2c", 0.5m, superseded: true),
        ];

        var shown = ChatTranscript.Shown(stored);

        shown.Select(m => m.Id).ShouldBe(["q1", "a1", "q2", "a3"]);
        shown[2].Siblings!.Select(m => m.Id).ShouldBe(["q2", "q2b", "q2c"], "in the order they were written");
        shown[2].Siblings!.Select(m => m.Text).ShouldBe(["q2", "q2b", "q2c"]);
        shown[2].Siblings![0].ShouldBeSameAs(shown[2]);
        shown[0].Siblings.ShouldBeNull("never edited");
        shown[3].Siblings!.Select(m => m.Id).ShouldBe(["a2", "a3"], "the chosen version's own replies");
        ChatTranscript.Spent(shown).ShouldBe(0.1m + 0.2m + 0.3m);
        ChatTranscript.Unshown(stored, shown).ShouldBe(0.4m + 0.5m, "the other versions' replies were paid for too");
    }
}
