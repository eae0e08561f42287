using Bunit;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Streaming;
using CommandCenter.Web.Chat;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CommandCenter.Unit.Components;

public sealed class ChatMessageItemTests : BunitContext
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock = new();
    private static readonly CostEvent Cost = new(45, 12, 0, 0, 0.000315m, 0m, "claude-sonnet-4-5", "end_turn");

    public ChatMessageItemTests()
    {
        Services.AddMudServices();
        Services.AddSingleton<MarkdownRenderer>();
        // Time stands still unless a test moves it: a throttled render happens when the test says, not when the machine is slow.
        Services.AddSingleton<TimeProvider>(Clock);
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private static ChatMessage Streaming() => new(MessageRole.Assistant, "", ChatMessageState.Streaming);

    private IRenderedComponent<ChatMessageItem> RenderMessage(ChatMessage message) =>
        Render<ChatMessageItem>(p => p.Add(c => c.Message, message));

    // What the page does on every chunk: render the item again with the same message instance.
    private static void RenderAgain(IRenderedComponent<ChatMessageItem> cut, ChatMessage message) =>
        cut.Render(p => p.Add(c => c.Message, message));

    [Fact]
    public void StreamingMessageShowsTypingIndicatorAndNoCostYet()
    {
        var cut = RenderMessage(Streaming());

        var item = cut.Find("[data-testid=assistant-message]");
        item.GetAttribute("data-state").ShouldBe("streaming");
        cut.FindAll(".cc-typing").Count.ShouldBe(1);
        cut.FindAll("[data-testid=reply-text]").ShouldBeEmpty();
        cut.FindAll("[data-testid=cost-line]").ShouldBeEmpty();
    }

    [Fact]
    public void AMessageRendersItsOwnChangesWithoutItsParentRendering()
    {
        var message = Streaming();
        var cut = RenderMessage(message);
        var renders = cut.RenderCount;

        message.Append("Hello");
        cut.WaitForAssertion(() => cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("Hello"));
        message.Append(", world");
        message.SetCost(Cost);
        message.Finish(ChatMessageState.Complete);

        cut.WaitForAssertion(() => cut.Find("[data-testid=assistant-message]").GetAttribute("data-state").ShouldBe("complete"));
        cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("Hello, world");
        cut.FindAll("[data-testid=cost-line]").Count.ShouldBe(1);
        cut.RenderCount.ShouldBeGreaterThan(renders);
    }

    [Fact]
    public void EachAppendedChunkGrowsTheRenderedReply()
    {
        var message = Streaming();
        var cut = RenderMessage(message);
        var previousLength = 0;

        foreach (var chunk in new[] { "Hello", ", wörld", " — here is ", "**more** text" })
        {
            message.Append(chunk);
            RenderAgain(cut, message);

            var reply = cut.Find("[data-testid=reply-text]");
            reply.TextContent.Length.ShouldBeGreaterThan(previousLength);
            previousLength = reply.TextContent.Length;
            cut.FindAll(".cc-typing").Count.ShouldBe(1);
        }

        cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("Hello, wörld — here is more text");
        cut.Find("[data-testid=reply-text] strong").TextContent.ShouldBe("more");
    }

    [Fact]
    public void RendersAgainOnlyWhenTheVersionChanged()
    {
        var message = Streaming();
        var cut = RenderMessage(message);
        cut.RenderCount.ShouldBe(1);

        message.Append("Hello");
        RenderAgain(cut, message);
        cut.RenderCount.ShouldBe(2);

        // The page re-renders for another message's chunk: this one did not change, so it must not render.
        RenderAgain(cut, message);
        RenderAgain(cut, message);
        cut.RenderCount.ShouldBe(2);
        cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("Hello");

        message.Append(" world");
        RenderAgain(cut, message);
        cut.RenderCount.ShouldBe(3);
        cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("Hello world");

        message.SetCost(Cost);
        message.Finish(ChatMessageState.Complete);
        RenderAgain(cut, message);
        cut.RenderCount.ShouldBe(4);
    }

    [Fact]
    public void ADifferentMessageInstanceRendersEvenAtTheSameVersion()
    {
        var first = new ChatMessage(MessageRole.Assistant, "first");
        var cut = RenderMessage(first);

        var second = new ChatMessage(MessageRole.Assistant, "second");
        second.Version.ShouldBe(first.Version);
        RenderAgain(cut, second);

        cut.RenderCount.ShouldBe(2);
        cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("second");
    }

    [Fact]
    public void CompletedReplyDropsTypingIndicatorAndShowsCostLine()
    {
        var message = Streaming();
        var cut = RenderMessage(message);
        message.Append("Done.");
        RenderAgain(cut, message);

        message.SetCost(Cost);
        message.Finish(ChatMessageState.Complete);
        RenderAgain(cut, message);

        cut.Find("[data-testid=assistant-message]").GetAttribute("data-state").ShouldBe("complete");
        cut.FindAll(".cc-typing").ShouldBeEmpty();
        cut.Find("[data-testid=cost]").TextContent.ShouldBe("$0.000315");
        cut.Find("[data-testid=cost-line]").TextContent.ShouldContain("45 in");
        cut.FindAll("[data-testid=stopped]").ShouldBeEmpty();
        cut.FindAll("[data-testid=message-error]").ShouldBeEmpty();
        cut.FindAll("[data-testid=truncated]").ShouldBeEmpty();
    }

    [Fact]
    public void CostSetAfterTheReplyAppearsOnNextRender()
    {
        var message = Streaming();
        var cut = RenderMessage(message);
        message.Append("Partial");
        message.SetCost(Cost);
        RenderAgain(cut, message);

        cut.FindAll("[data-testid=cost-line]").Count.ShouldBe(1);
    }

    [Fact]
    public void StoppedReplyKeepsPartialTextAndShowsStoppedChip()
    {
        var message = Streaming();
        var cut = RenderMessage(message);
        message.Append("Partial answer");
        RenderAgain(cut, message);

        message.Finish(ChatMessageState.Stopped);
        RenderAgain(cut, message);

        cut.Find("[data-testid=assistant-message]").GetAttribute("data-state").ShouldBe("stopped");
        cut.FindAll(".cc-typing").ShouldBeEmpty();
        cut.Find("[data-testid=stopped]").TextContent.ShouldContain("Stopped");
        cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("Partial answer");
        cut.FindAll("[data-testid=cost-line]").ShouldBeEmpty();
    }

    [Fact]
    public async Task FailedReplyShowsErrorAndRetryInvokesOnRetryWithTheReply()
    {
        var retried = new List<ChatMessage>();
        var message = new ChatMessage(MessageRole.Assistant, "", ChatMessageState.Streaming) { RetryText = "What is 2 + 2?" };
        var cut = Render<ChatMessageItem>(p => p
            .Add(c => c.Message, message)
            .Add(c => c.OnRetry, (ChatMessage failed) => retried.Add(failed)));

        message.Finish(ChatMessageState.Failed, error: "The model is overloaded.");
        cut.FindAll("[data-testid=retry]").ShouldBeEmpty("only the last turn can be retried; the page marks it once the reply has ended");
        message.IsLastTurn = true;
        cut.Render(p => p.Add(c => c.Message, message));

        cut.Find("[data-testid=assistant-message]").GetAttribute("data-state").ShouldBe("failed");
        cut.FindAll(".cc-typing").ShouldBeEmpty();
        cut.Find("[data-testid=message-error]").TextContent.ShouldContain("The model is overloaded.");

        await cut.Find("[data-testid=retry]").ClickAsync(new());

        retried.ShouldBe([message]);
    }

    [Fact]
    public void FailedReplyWithoutErrorTextShowsGenericMessage()
    {
        var message = Streaming();
        var cut = RenderMessage(message);

        message.Finish(ChatMessageState.Failed);
        RenderAgain(cut, message);

        cut.Find("[data-testid=message-error]").TextContent.ShouldContain("The reply failed.");
    }

    [Fact]
    public void FailedReplyHasNoRetryButtonWithoutAnIdOrRetryTextOrHandler()
    {
        var withoutText = new ChatMessage(MessageRole.Assistant, "", ChatMessageState.Failed) { IsLastTurn = true };
        var cut = Render<ChatMessageItem>(p => p
            .Add(c => c.Message, withoutText)
            .Add(c => c.OnRetry, (ChatMessage _) => { }));
        cut.FindAll("[data-testid=message-error]").Count.ShouldBe(1);
        cut.FindAll("[data-testid=retry]").ShouldBeEmpty();

        var withoutHandler = new ChatMessage(MessageRole.Assistant, "", ChatMessageState.Failed) { RetryText = "hi", IsLastTurn = true };
        var other = RenderMessage(withoutHandler);
        other.FindAll("[data-testid=message-error]").Count.ShouldBe(1);
        other.FindAll("[data-testid=retry]").ShouldBeEmpty();
    }

    [Fact]
    public async Task TheLastReplyOffersRegenerateAndFlipsBetweenItsSiblings()
    {
        var (first, second) = (new ChatMessage(MessageRole.Assistant, "First.") { Id = "a1" }, new ChatMessage(MessageRole.Assistant, "Second.") { Id = "a2" });
        first.Siblings = second.Siblings = [first, second];
        var (regenerated, chosen) = (new List<ChatMessage>(), new List<ChatMessage>());
        var cut = Render<ChatMessageItem>(p => p
            .Add(c => c.Message, second)
            .Add(c => c.OnRegenerate, (ChatMessage m) => regenerated.Add(m))
            .Add(c => c.OnChoose, (ChatMessage m) => chosen.Add(m)));
        cut.FindAll("[data-testid=regenerate]").ShouldBeEmpty("not the last turn");
        cut.FindAll("[data-testid=siblings]").ShouldBeEmpty();

        second.IsLastTurn = true;
        cut.Render(p => p.Add(c => c.Message, second));

        cut.Find("[data-testid=sibling-position]").TextContent.ShouldBe("2 / 2");
        cut.Find("[data-testid=sibling-next]").HasAttribute("disabled").ShouldBeTrue();
        await cut.Find("[data-testid=sibling-previous]").ClickAsync(new());
        chosen.ShouldBe([first]);
        await cut.Find("[data-testid=regenerate]").ClickAsync(new());
        regenerated.ShouldBe([second]);
    }

    [Fact]
    public async Task TheLastQuestionCanBeEditedAndSentAgainOrTheEditCancelled()
    {
        var question = new ChatMessage(MessageRole.User, "Waht is 2 + 2?") { Id = "q1", IsLastTurn = true };
        var edits = new List<(ChatMessage, string)>();
        var cut = Render<ChatMessageItem>(p => p.Add(c => c.Message, question).Add(c => c.OnEdit, ((ChatMessage Question, string Text) e) => edits.Add(e)));

        await cut.Find("[data-testid=edit-message]").ClickAsync(new());
        cut.Find("[data-testid=edit-box]").GetAttribute("value").ShouldBe("Waht is 2 + 2?");
        await cut.Find("[data-testid=edit-cancel]").ClickAsync(new());
        cut.Find("[data-testid=user-text]").TextContent.ShouldBe("Waht is 2 + 2?");
        edits.ShouldBeEmpty();

        // The text stays in the browser: the box says when it empties or fills, and Send reads it once.
        var box = JSInterop.SetupModule("./Chat/MessageBox.razor.js");
        box.Setup<string>("text", _ => true).SetResult("What is 2 + 2?");
        await cut.Find("[data-testid=edit-message]").ClickAsync(new());
        var editBox = cut.FindComponent<MessageBox>().Instance;
        await cut.InvokeAsync(() => editBox.HasTextChanged(false));
        cut.Find("[data-testid=edit-send]").HasAttribute("disabled").ShouldBeTrue();
        await cut.InvokeAsync(() => editBox.HasTextChanged(true));
        await cut.Find("[data-testid=edit-send]").ClickAsync(new());

        edits.ShouldBe([(question, "What is 2 + 2?")]);
        box.Invocations["text"].Count.ShouldBe(1);
    }

    [Fact]
    public async Task AnEditedLastQuestionFlipsBetweenItsVersions()
    {
        var (first, second) = (new ChatMessage(MessageRole.User, "Twoo?") { Id = "q1" }, new ChatMessage(MessageRole.User, "Two?") { Id = "q2" });
        first.Siblings = second.Siblings = [first, second];
        var chosen = new List<ChatMessage>();
        var cut = Render<ChatMessageItem>(p => p
            .Add(c => c.Message, first)
            .Add(c => c.OnChoose, (ChatMessage m) => chosen.Add(m))
            .Add(c => c.OnEdit, ((ChatMessage, string) _) => { }));
        cut.FindAll("[data-testid=siblings]").ShouldBeEmpty("not the last turn");

        first.IsLastTurn = true;
        cut.Render(p => p.Add(c => c.Message, first));

        var footer = cut.Find("[data-testid=user-footer]");
        footer.ClassList.ShouldContain("cc-pinned", "which version is shown is always in view");
        cut.Find("[data-testid=sibling-position]").TextContent.ShouldBe("1 / 2");
        cut.Find("[data-testid=sibling-previous]").HasAttribute("disabled").ShouldBeTrue();
        cut.Find("[data-testid=sibling-next]").GetAttribute("aria-label").ShouldBe("Next version");
        await cut.Find("[data-testid=sibling-next]").ClickAsync(new());
        chosen.ShouldBe([second]);
        cut.FindAll("[data-testid=edit-message]").Count.ShouldBe(1, "the version shown can be edited again");
        // Beside the bubble, not inside it: the bubble holds only the text.
        cut.Find(".cc-bubble").QuerySelector(".cc-message-footer").ShouldBeNull();
    }

    [Theory]
    [InlineData(13, 10)]
    [InlineData(1, 1_600)]
    public async Task ALongQuestionIsFoldedAndShowMoreUnfoldsIt(int lines, int lineLength)
    {
        var text = string.Join('\n', Enumerable.Range(1, lines).Select(i => $"{i}".PadRight(lineLength, 'x')));
        var cut = RenderMessage(new ChatMessage(MessageRole.User, text));

        var toggle = cut.Find("[data-testid=show-more]");
        toggle.TagName.ShouldBe("BUTTON", "a button: Tab reaches it, Enter and Space press it");
        toggle.TextContent.ShouldBe("Show more");
        toggle.GetAttribute("aria-expanded").ShouldBe("false");
        toggle.GetAttribute("aria-controls").ShouldBe(cut.Find("[data-testid=user-text]").Id);
        cut.Find("[data-testid=user-text]").ClassList.ShouldContain("cc-collapsed");
        cut.Find("[data-testid=user-text]").TextContent.ShouldBe(text, "all of it is there, for copying and finding");

        await toggle.ClickAsync(new());

        cut.Find("[data-testid=user-text]").ClassList.ShouldNotContain("cc-collapsed");
        cut.Find("[data-testid=show-more]").TextContent.ShouldBe("Show less");
        cut.Find("[data-testid=show-more]").GetAttribute("aria-expanded").ShouldBe("true");
        await cut.Find("[data-testid=show-more]").ClickAsync(new());
        cut.Find("[data-testid=user-text]").ClassList.ShouldContain("cc-collapsed");
    }

    [Fact]
    public void AQuestionOfTwelveLinesOrFifteenHundredCharactersIsShownWhole()
    {
        foreach (var text in new[] { string.Join('\n', Enumerable.Repeat("line", 12)), new string('x', 1_500) })
        {
            var cut = RenderMessage(new ChatMessage(MessageRole.User, text));
            cut.FindAll("[data-testid=show-more]").ShouldBeEmpty();
            cut.Find("[data-testid=user-text]").ClassList.ShouldNotContain("cc-collapsed");
        }
    }

    [Fact]
    public void AQuestionNotOfTheLastTurnOrNotYetStoredCannotBeEdited()
    {
        IRenderedComponent<ChatMessageItem> Editable(ChatMessage question) =>
            Render<ChatMessageItem>(p => p.Add(c => c.Message, question).Add(c => c.OnEdit, ((ChatMessage, string) _) => { }));

        Editable(new ChatMessage(MessageRole.User, "Old") { Id = "q0" }).FindAll("[data-testid=edit-message]").ShouldBeEmpty();
        Editable(new ChatMessage(MessageRole.User, "Unsent") { IsLastTurn = true }).FindAll("[data-testid=edit-message]").ShouldBeEmpty();
        Editable(new ChatMessage(MessageRole.User, "Last") { Id = "q1", IsLastTurn = true }).FindAll("[data-testid=edit-message]").Count.ShouldBe(1);
    }

    [Fact]
    public void MaxTokensStopReasonShowsTruncatedNote()
    {
        var message = Streaming();
        var cut = RenderMessage(message);
        message.Append("A reply that ran out of");
        RenderAgain(cut, message);
        cut.FindAll("[data-testid=truncated]").ShouldBeEmpty();

        message.SetCost(Cost with { StopReason = "max_tokens" });
        message.Finish(ChatMessageState.Complete);
        RenderAgain(cut, message);

        cut.Find("[data-testid=truncated]").TextContent.ShouldContain("max-token limit");
        cut.FindAll("[data-testid=cost-line]").Count.ShouldBe(1);
    }

    [Fact]
    public void UserMessageShowsPlainTextWithoutCostOrTyping()
    {
        var cut = RenderMessage(new ChatMessage(MessageRole.User, "Hello **there**"));

        cut.Find("[data-testid=user-message]").ShouldNotBeNull();
        cut.Find(".cc-user-text").TextContent.ShouldBe("Hello **there**");
        cut.FindAll("strong").ShouldBeEmpty();
        cut.FindAll("[data-testid=assistant-message]").ShouldBeEmpty();
    }
}
