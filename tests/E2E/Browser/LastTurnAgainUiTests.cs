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
}
