using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Conversations;

namespace CommandCenter.Unit.Services;

public sealed class ConversationHistoryTests
{
    private const int ContextWindow = 200_000;
    private const int MaxTokens = 1_024;

    // Build's budget in characters: (window − max tokens − 1,000 reserved) × 3 characters a token.
    // A window of 2,100 with max tokens 1,000 leaves 100 tokens = 300 characters.
    private const int SmallWindow = 2_100;
    private const int SmallMaxTokens = 1_000;
    private const int SmallBudgetChars = 300;

    [Fact]
    public void EmptyHistorySendsOnlyTheNewMessage()
    {
        var prompt = Build("Be brief.", [], "Hello?");

        Shape(prompt).ShouldBe(["user: Hello?"]);
        prompt.HistoryMessagesSent.ShouldBe(0);
        prompt.HistoryMessagesTrimmed.ShouldBe(0);
    }

    [Fact]
    public void CompletePairsGoUpstreamInOrderFollowedByTheNewMessage()
    {
        var history = Conversation(("q1", "a1", MessageStatus.Complete), ("q2", "a2", MessageStatus.Complete), ("q3", "a3", MessageStatus.Complete));

        var prompt = Build("Be brief.", history, "q4");

        Shape(prompt).ShouldBe(["user: q1", "assistant: a1", "user: q2", "assistant: a2", "user: q3", "assistant: a3", "user: q4"]);
        prompt.HistoryMessagesSent.ShouldBe(6);
        prompt.HistoryMessagesTrimmed.ShouldBe(0);
    }

    [Theory]
    [InlineData(MessageStatus.Stopped)]
    [InlineData(MessageStatus.Failed)]
    [InlineData(MessageStatus.Streaming)]
    public void UnfinishedReplyDropsItsWholeTurn(string status)
    {
        var history = Conversation(("q1", "a1", MessageStatus.Complete), ("q2", "half an ans", status), ("q3", "a3", MessageStatus.Complete));

        var prompt = Build("", history, "q4");

        Shape(prompt).ShouldBe(["user: q1", "assistant: a1", "user: q3", "assistant: a3", "user: q4"]);
        prompt.HistoryMessagesSent.ShouldBe(4);
    }

    [Fact]
    public void UnfinishedLatestTurnIsDroppedToo()
    {
        var history = Conversation(("q1", "a1", MessageStatus.Complete), ("q2", "cut off", MessageStatus.Failed));

        Shape(Build("", history, "q3")).ShouldBe(["user: q1", "assistant: a1", "user: q3"]);
    }

    [Fact]
    public void UserMessageWithoutAReplyIsDropped()
    {
        // A question whose reply row never got written, then a later complete turn.
        List<Message> history = [User("lost"), User("q2"), Assistant("a2"), User("dangling")];

        var prompt = Build("", history, "q3");

        Shape(prompt).ShouldBe(["user: q2", "assistant: a2", "user: q3"]);
    }

    [Fact]
    public void RolesAlwaysAlternateStartingAndEndingWithTheUser()
    {
        List<Message> history =
        [
            Assistant("orphan reply"), User("q1"), Assistant("a1"), User("q2"), Assistant("stopped", MessageStatus.Stopped),
            User("q3"), User("q4"), Assistant("a4"), Assistant("extra"), User("q5"), Assistant("failed", MessageStatus.Failed),
        ];

        var roles = Build("", history, "new").Messages.Select(m => m.Role).ToList();

        roles.ShouldBe([MessageRole.User, MessageRole.Assistant, MessageRole.User, MessageRole.Assistant, MessageRole.User]);
    }

    [Fact]
    public void CacheBreakpointsAreOnTheSystemPromptAndTheNewMessageOnly()
    {
        var history = Conversation(("q1", "a1", MessageStatus.Complete), ("q2", "a2", MessageStatus.Complete));

        var prompt = Build("You are a pirate.", history, "q3");

        var system = prompt.System.ShouldNotBeNull().ShouldHaveSingleItem();
        system.Text.ShouldBe("You are a pirate.");
        system.Type.ShouldBe("text");
        system.CacheControl.ShouldNotBeNull().Type.ShouldBe("ephemeral");

        var last = prompt.Messages[^1].Content.ShouldHaveSingleItem();
        last.Text.ShouldBe("q3");
        last.CacheControl.ShouldNotBeNull().Type.ShouldBe("ephemeral");

        foreach (var message in prompt.Messages.SkipLast(1))
        {
            message.Content.ShouldHaveSingleItem().CacheControl.ShouldBeNull();
        }
    }

    [Fact]
    public void EmptySystemPromptSendsNoSystem()
    {
        Build("", [], "Hello").System.ShouldBeNull();
    }

    [Fact]
    public void HistoryOverTheBudgetLosesItsOldestTurnsAndCountsThem()
    {
        // Four 100-character turns and a 10-character message against 300 characters: only the newest two fit.
        var history = Conversation(
            (Text('1', 50), Text('A', 50), MessageStatus.Complete),
            (Text('2', 50), Text('B', 50), MessageStatus.Complete),
            (Text('3', 50), Text('C', 50), MessageStatus.Complete),
            (Text('4', 50), Text('D', 50), MessageStatus.Complete));

        var prompt = ConversationHistory.Build("", history, Text('n', 10), SmallWindow, SmallMaxTokens).ShouldNotBeNull();

        prompt.Messages.Select(m => m.Content[0].Text[0]).ShouldBe(['3', 'C', '4', 'D', 'n']);
        prompt.HistoryMessagesSent.ShouldBe(4);
        prompt.HistoryMessagesTrimmed.ShouldBe(4);
    }

    [Fact]
    public void SystemPromptCountsAgainstTheBudget()
    {
        var history = Conversation(
            (Text('1', 50), Text('A', 50), MessageStatus.Complete),
            (Text('2', 50), Text('B', 50), MessageStatus.Complete));

        var prompt = ConversationHistory.Build(Text('s', 150), history, Text('n', 10), SmallWindow, SmallMaxTokens).ShouldNotBeNull();

        prompt.Messages.Select(m => m.Content[0].Text[0]).ShouldBe(['2', 'B', 'n']);
        prompt.HistoryMessagesTrimmed.ShouldBe(2);
    }

    [Fact]
    public void HistoryThatFillsTheBudgetExactlyIsKept()
    {
        var history = Conversation(
            (Text('1', 50), Text('A', 50), MessageStatus.Complete),
            (Text('2', 50), Text('B', 50), MessageStatus.Complete));

        var prompt = ConversationHistory.Build("", history, Text('n', SmallBudgetChars - 200), SmallWindow, SmallMaxTokens).ShouldNotBeNull();

        prompt.HistoryMessagesSent.ShouldBe(4);
        prompt.HistoryMessagesTrimmed.ShouldBe(0);
    }

    [Fact]
    public void TrimmingNeverLeavesAGapInTheHistory()
    {
        // The middle turn does not fit; the small oldest one would, but sending it would skip the middle of the conversation.
        var history = Conversation(
            ("q", "a", MessageStatus.Complete),
            (Text('2', 150), Text('B', 150), MessageStatus.Complete),
            (Text('3', 50), Text('C', 50), MessageStatus.Complete));

        var prompt = ConversationHistory.Build("", history, "new", SmallWindow, SmallMaxTokens).ShouldNotBeNull();

        prompt.Messages.Select(m => m.Content[0].Text[0]).ShouldBe(['3', 'C', 'n']);
        prompt.HistoryMessagesSent.ShouldBe(2);
        prompt.HistoryMessagesTrimmed.ShouldBe(4);
    }

    [Fact]
    public void DroppedUnfinishedTurnsAreNotCountedAsTrimmed()
    {
        var history = Conversation(("q1", "a1", MessageStatus.Failed), ("q2", "a2", MessageStatus.Complete));

        var prompt = Build("", history, "q3");

        prompt.HistoryMessagesSent.ShouldBe(2);
        prompt.HistoryMessagesTrimmed.ShouldBe(0);
    }

    [Fact]
    public void NewMessageThatAloneExceedsTheWindowReturnsNull()
    {
        ConversationHistory.Build("", [], Text('x', SmallBudgetChars + 1), SmallWindow, SmallMaxTokens).ShouldBeNull();
        ConversationHistory.Build("", [], Text('x', SmallBudgetChars), SmallWindow, SmallMaxTokens).ShouldNotBeNull();
    }

    [Fact]
    public void SystemPromptAndNewMessageTogetherOverTheWindowReturnNull()
    {
        ConversationHistory.Build(Text('s', 200), [], Text('x', 101), SmallWindow, SmallMaxTokens).ShouldBeNull();
    }

    [Fact]
    public void MaxTokensLargerThanTheWindowLeavesNoRoom()
    {
        ConversationHistory.Build("", [], "hi", contextWindow: 8_000, maxTokens: 64_000).ShouldBeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \n")]
    public void CompleteReplyWithoutTextIsNotSentBack(string reply)
    {
        var history = Conversation(("q1", reply, MessageStatus.Complete), ("q2", "a2", MessageStatus.Complete));

        var prompt = Build("", history, "q3");

        prompt.Messages.SelectMany(m => m.Content).ShouldAllBe(block => !string.IsNullOrWhiteSpace(block.Text));
        prompt.Messages.Select(m => m.Role).Where((role, i) => role != (i % 2 == 0 ? MessageRole.User : MessageRole.Assistant)).ShouldBeEmpty();
        Shape(prompt)[^3..].ShouldBe(["user: q2", "assistant: a2", "user: q3"]);
    }

    private static ConversationHistory.Prompt Build(string systemPrompt, IReadOnlyList<Message> history, string newMessage) =>
        ConversationHistory.Build(systemPrompt, history, newMessage, ContextWindow, MaxTokens).ShouldNotBeNull();

    private static string[] Shape(ConversationHistory.Prompt prompt) =>
        [.. prompt.Messages.Select(m => $"{m.Role}: {string.Concat(m.Content.Select(c => c.Text))}")];

    private static List<Message> Conversation(params (string Question, string Reply, string ReplyStatus)[] turns) =>
        [.. turns.SelectMany(t => new[] { User(t.Question), Assistant(t.Reply, t.ReplyStatus) })];

    private static Message User(string text) => new()
    {
        Id = Guid.NewGuid().ToString("N"), ConversationId = "conversation", Role = MessageRole.User, Content = text,
    };

    private static Message Assistant(string text, string status = MessageStatus.Complete) => new()
    {
        Id = Guid.NewGuid().ToString("N"), ConversationId = "conversation", Role = MessageRole.Assistant, Content = text, Status = status,
    };

    private static string Text(char c, int length) => new(c, length);
}
