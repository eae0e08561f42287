using System.Text.Json;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Files;

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

    [Fact]
    public void FilesGoBeforeTheirQuestionsTextByFileIdOrInline()
    {
        var shot = new Attachment("f1", "shot.png", FileSniffer.Png, 1_234, 54);
        var manual = new Attachment("f2", "manual.pdf", FileSniffer.Pdf, 5_678, 3_000);
        var sent = new SentAttachments(
            new Dictionary<string, WireAttachmentBlock>
            {
                ["f1"] = WireAttachmentBlock.For(FileSniffer.Png, WireAttachmentSource.File("file_abc")),
                ["f2"] = WireAttachmentBlock.For(FileSniffer.Pdf, WireAttachmentSource.Base64(FileSniffer.Pdf, [1, 2, 3])),
            },
            new Dictionary<string, string> { ["f1"] = AttachmentTransport.FileId, ["f2"] = AttachmentTransport.Inline }, "files-api-2025-04-14");

        var prompt = ConversationHistory.Build("", [], "What do these say?", ContextWindow, MaxTokens, [shot, manual], sent).ShouldNotBeNull();

        prompt.Attachments.ShouldBe([shot, manual]);
        var content = Json(prompt.Messages[^1]).GetProperty("content");
        content.GetArrayLength().ShouldBe(3);
        content[0].GetProperty("type").GetString().ShouldBe("image");
        content[0].GetProperty("source").GetProperty("type").GetString().ShouldBe("file");
        content[0].GetProperty("source").GetProperty("file_id").GetString().ShouldBe("file_abc");
        content[1].GetProperty("type").GetString().ShouldBe("document");
        content[1].GetProperty("source").GetProperty("media_type").GetString().ShouldBe(FileSniffer.Pdf);
        content[1].GetProperty("source").GetProperty("data").GetString().ShouldBe(Convert.ToBase64String([1, 2, 3]));
        content[2].GetProperty("text").GetString().ShouldBe("What do these say?");
        content[2].GetProperty("cache_control").GetProperty("type").GetString().ShouldBe("ephemeral");
    }

    [Fact]
    public void AnEarlierQuestionKeepsItsFilesAndADeletedOneIsNamedInANote()
    {
        var kept = new Attachment("f1", "kept.png", FileSniffer.Png, 100, 54);
        var gone = new Attachment("f2", "gone.png", FileSniffer.Png, 100, 54);
        var history = Conversation(("look", "I see a cat", MessageStatus.Complete));
        history[0] = User("look", kept, gone);
        var sent = new SentAttachments(
            new Dictionary<string, WireAttachmentBlock> { ["f1"] = WireAttachmentBlock.For(FileSniffer.Png, WireAttachmentSource.File("file_1")) },
            new Dictionary<string, string> { ["f1"] = AttachmentTransport.FileId }, "files-api-2025-04-14");

        var prompt = ConversationHistory.Build("", history, "and now?", ContextWindow, MaxTokens, [], sent).ShouldNotBeNull();

        prompt.Attachments.ShouldBe([kept, gone]);
        var content = Json(prompt.Messages[0]).GetProperty("content");
        content.EnumerateArray().Select(b => b.GetProperty("type").GetString()).ShouldBe(["image", "text", "text"]);
        content[1].GetProperty("text").GetString().ShouldBe("[Attached file gone.png was removed.]");
        content[2].GetProperty("text").GetString().ShouldBe("look");
        sent.HowSent("f2").ShouldBe(AttachmentTransport.Removed);
    }

    [Fact]
    public void FilesWeighTheirTokensWhenHistoryIsTrimmed()
    {
        // 300 characters of budget: a turn of 2 characters fits, unless its image is estimated at 60 tokens (180 characters) and the new message's at 40.
        var history = Conversation(("q", "a", MessageStatus.Complete));
        ConversationHistory.Build("", history, "n", SmallWindow, SmallMaxTokens)!.HistoryMessagesSent.ShouldBe(2);

        history[0] = User("q", new Attachment("f1", "big.png", FileSniffer.Png, 100, 60));
        var prompt = ConversationHistory.Build("", history, "n", SmallWindow, SmallMaxTokens, [new Attachment("f2", "new.png", FileSniffer.Png, 100, 40)]).ShouldNotBeNull();

        prompt.HistoryMessagesSent.ShouldBe(0);
        prompt.HistoryMessagesTrimmed.ShouldBe(2);
        prompt.Attachments.Select(a => a.Id).ShouldBe(["f2"]);
        prompt.EstimatedTokens.ShouldBe((1 + 40 * 3) / 3);
    }

    [Fact]
    public void AFileTooLargeForTheWindowDoesNotFit()
    {
        ConversationHistory.Build("", [], "n", SmallWindow, SmallMaxTokens, [new Attachment("f", "huge.pdf", FileSniffer.Pdf, 100, 101)]).ShouldBeNull();
    }

    [Fact]
    public void AShareOfTheWindowLeavesOutMoreHistory()
    {
        var history = Conversation(("q1", Text('a', 100), MessageStatus.Complete), ("q2", Text('b', 100), MessageStatus.Complete));

        ConversationHistory.Build("", history, "n", SmallWindow, SmallMaxTokens)!.HistoryMessagesSent.ShouldBe(4);
        ConversationHistory.Build("", history, "n", SmallWindow, SmallMaxTokens, budgetShare: 0.5)!.HistoryMessagesSent.ShouldBe(2);
    }

    private static JsonElement Json(WireMessage message) =>
        JsonDocument.Parse(JsonSerializer.Serialize(new WireRequest("m", 1, null, [message]), WireJsonContext.Default.WireRequest)).RootElement.GetProperty("messages")[0];

    private static ConversationHistory.Prompt Build(string systemPrompt, IReadOnlyList<Message> history, string newMessage) =>
        ConversationHistory.Build(systemPrompt, history, newMessage, ContextWindow, MaxTokens).ShouldNotBeNull();

    private static string[] Shape(ConversationHistory.Prompt prompt) =>
        [.. prompt.Messages.Select(m => $"{m.Role}: {string.Concat(m.Content.Select(c => c.Text))}")];

    private static List<Message> Conversation(params (string Question, string Reply, string ReplyStatus)[] turns) =>
        [.. turns.SelectMany(t => new[] { User(t.Question), Assistant(t.Reply, t.ReplyStatus) })];

    private static Message User(string text, params Attachment[] attachments) => new()
    {
        Id = Guid.NewGuid().ToString("N"), ConversationId = "conversation", Role = MessageRole.User, Content = text,
        Attachments = attachments.Length > 0 ? attachments : null,
    };

    private static Message Assistant(string text, string status = MessageStatus.Complete) => new()
    {
        Id = Guid.NewGuid().ToString("N"), ConversationId = "conversation", Role = MessageRole.Assistant, Content = text, Status = status,
    };

    private static string Text(char c, int length) => new(c, length);
}
