using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>Regenerate, flip between siblings, edit and resend, retry in place: the last turn made again, as an operator does it.</summary>
public sealed class LastTurnAgainUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task AnOperatorRegeneratesFlipsBetweenRepliesEditsTheQuestionAndRetriesAFailureInPlace()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["First ", "answer."] });
        using var _ = user;
        await ui.SendAsync("What is 2 + 2?");
        await Expect(ui.LastReplyText).ToHaveTextAsync("First answer.");

        // Regenerate: a new reply in the same place; the first one is kept as a sibling.
        App.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Second ", "answer."] });
        await ui.LastReply.HoverAsync();
        await ui.LastReply.GetByTestId("regenerate").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Second answer.");
        await Expect(ui.Replies).ToHaveCountAsync(1);
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 2 + 2?"]);
        await Expect(ui.LastReply.GetByTestId("sibling-position")).ToHaveTextAsync("2 / 2");
        // Both replies were paid for: the conversation's total counts the one no longer shown.
        await Expect(Page.GetByTestId("conversation-total")).ToHaveTextAsync("Conversation $0.000108");
        await ScreenshotAsync("regenerated-desktop");

        // Flip back: the first reply is shown, and stays chosen after a reload.
        await ui.LastReply.GetByTestId("sibling-previous").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("First answer.");
        await Expect(ui.LastReply.GetByTestId("sibling-position")).ToHaveTextAsync("1 / 2");
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("First answer.");
        await Expect(ui.LastReply.GetByTestId("sibling-position")).ToHaveTextAsync("1 / 2");

        // Edit the question and send it again: the turn is replaced.
        var question = Page.GetByTestId("user-message").Last;
        await question.HoverAsync();
        await question.GetByTestId("edit-message").ClickAsync();
        await Expect(question.GetByTestId("edit-box")).ToHaveValueAsync("What is 2 + 2?");
        await ScreenshotAsync("editing-desktop");
        await question.GetByTestId("edit-box").FillAsync("What is 3 + 3?");
        await question.GetByTestId("edit-send").ClickAsync();
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 3 + 3?"]);
        await Expect(ui.LastReplyText).ToHaveTextAsync("Second answer.");
        await Expect(ui.LastReply.GetByTestId("siblings")).ToHaveCountAsync(0);
        await Expect(question.GetByTestId("sibling-position")).ToHaveTextAsync("2 / 2");
        await Expect(Page.GetByTestId("conversation-total")).ToHaveTextAsync("Conversation $0.000162");

        // A reply that fails is retried in place: no second copy of the question.
        App.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Half ", "done"], ErrorAfterChunks = 1 });
        await ui.SendAsync("And 4 + 4?");
        await Expect(ui.LastReply.GetByTestId("message-error")).ToBeVisibleAsync();
        App.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Eight."] });
        await ui.LastReply.GetByTestId("retry").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Eight.");
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 3 + 3?", "And 4 + 4?"]);
        await Expect(ui.Replies).ToHaveCountAsync(2);
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 3 + 3?", "And 4 + 4?"]);
        await Expect(ui.LastReplyText).ToHaveTextAsync("Eight.");
        await Expect(ui.LastReply.GetByTestId("sibling-position")).ToHaveTextAsync("2 / 2");

        // What went upstream: each call with the history of the turns before it, as the first time.
        var sent = App.Fake.RequestsFor(user.ApiKey!).Select(r => r.Json.GetProperty("messages").EnumerateArray().Select(m => FakeTokens.TextOf(m)).ToList()).ToList();
        sent.ShouldBe(
        [
            ["What is 2 + 2?"], ["What is 2 + 2?"], ["What is 3 + 3?"],
            ["What is 3 + 3?", "Second answer.", "And 4 + 4?"], ["What is 3 + 3?", "Second answer.", "And 4 + 4?"],
        ]);

        await Page.SetViewportSizeAsync(390, 844);
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("retried-phone");
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await ScreenshotAsync("retried-phone-dark");
    }

    [Fact]
    public async Task AnOperatorEditsAQuestionFlipsBackToTheFirstVersionAndTheConversationGoesOnFromIt()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Four."], Usage = new FakeUsage(8, 2) });
        using var _ = user;
        await ui.SendAsync("What is 2 + 2?");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Four.");

        // Edit and send again: the new version is shown, 2 of 2.
        App.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Six."], Usage = new FakeUsage(8, 2) });
        var question = Page.GetByTestId("user-message").Last;
        await question.HoverAsync();
        await question.GetByTestId("edit-message").ClickAsync();
        await question.GetByTestId("edit-box").FillAsync("What is 3 + 3?");
        await question.GetByTestId("edit-send").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Six.");
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 3 + 3?"]);
        await Expect(question.GetByTestId("sibling-position")).ToHaveTextAsync("2 / 2");
        await Page.Mouse.MoveAsync(0, 0);
        // Always in view, not only on hover: which version is shown.
        await Expect(question.GetByTestId("siblings")).ToBeVisibleAsync();
        await Expect(question.GetByTestId("user-footer")).ToHaveCSSAsync("opacity", "1");
        await ScreenshotAsync("question-versions-desktop");

        // Back to the first version: that question with its own reply.
        await question.GetByTestId("sibling-previous").ClickAsync();
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 2 + 2?"]);
        await Expect(ui.LastReplyText).ToHaveTextAsync("Four.");
        await Expect(question.GetByTestId("sibling-position")).ToHaveTextAsync("1 / 2");
        await Expect(question.GetByTestId("sibling-previous")).ToBeDisabledAsync();
        await Expect(ui.LastReply.GetByTestId("siblings")).ToHaveCountAsync(0);
        // Both replies were paid for: the total counts the one no longer shown.
        await Expect(Page.GetByTestId("conversation-total")).ToHaveTextAsync("Conversation $0.000108");

        // Kept: a reload shows the chosen version, with the pager.
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 2 + 2?"]);
        await Expect(ui.LastReplyText).ToHaveTextAsync("Four.");
        await Expect(question.GetByTestId("sibling-position")).ToHaveTextAsync("1 / 2");
        await Page.SetViewportSizeAsync(390, 844);
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("question-versions-phone");
        await Page.SetViewportSizeAsync(1400, 900);

        // The conversation goes on from the chosen version: it, and its reply, go upstream.
        App.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Ten."] });
        await ui.SendAsync("And 5 + 5?");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Ten.");
        await Expect(ui.UserMessages).ToHaveTextAsync(["What is 2 + 2?", "And 5 + 5?"]);
        // Only the last turn is made again: the earlier question's versions are no longer offered.
        await Expect(Page.GetByTestId("user-message").First.GetByTestId("siblings")).ToHaveCountAsync(0);
        var sent = App.Fake.RequestsFor(user.ApiKey!).Select(r => r.Json.GetProperty("messages").EnumerateArray().Select(m => FakeTokens.TextOf(m)).ToList()).ToList();
        sent.ShouldBe([["What is 2 + 2?"], ["What is 3 + 3?"], ["What is 2 + 2?", "Four.", "And 5 + 5?"]]);
    }
}
