using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>
/// The whole operator journey, as one new operator walks it, on a desktop (1440×900) and a phone (390×844), in the
/// light and the dark theme: first visit, a reply, copy, regenerate and flip, edit and resend, stop with Escape, a
/// switch away and back mid-reply. A screenshot of each step is attached to the results; the console stays clean.
/// </summary>
public sealed class OperatorJourneyUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Theory]
    [InlineData(1440, 900, false)]
    [InlineData(1440, 900, true)]
    [InlineData(390, 844, false)]
    [InlineData(390, 844, true)]
    public async Task AnOperatorWalksTheWholeJourney(int width, int height, bool dark)
    {
        var phone = width < 900;
        var name = $"journey-{(phone ? "phone" : "desktop")}-{(dark ? "dark" : "light")}";
        await Context.GrantPermissionsAsync(["clipboard-write"]);
        await Page.SetViewportSizeAsync(width, height);
        var key = CommandCenterApp.NewApiKey();
        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["Hello ", "there."] });
        using var user = await App.NewUserAsync(apiKey: key);
        await App.CreateAgentAsync();
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);

        // First visit: an agent is already chosen, so the first message can be sent at once.
        await Expect(Page.GetByTestId("agent-picker")).Not.ToHaveValueAsync("");
        if (dark)
        {
            await Page.GetByTestId("theme-toggle").ClickAsync();
        }

        await ScreenshotAsync($"{name}-1-first-visit");

        // A reply, and copying it.
        await ui.SendAsync("Hello!");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Hello there.");
        await ui.LastReply.HoverAsync();
        await ui.LastReply.GetByTestId("copy-reply").ClickAsync();
        await ExpectCopiedAsync("Hello there.");
        await ScreenshotAsync($"{name}-2-reply");

        // Regenerate, then flip back to the first reply.
        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["Hi, ", "again."] });
        await ui.LastReply.HoverAsync();
        await ui.LastReply.GetByTestId("regenerate").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Hi, again.");
        await Expect(ui.LastReply.GetByTestId("sibling-position")).ToHaveTextAsync("2 / 2");
        await ui.LastReply.GetByTestId("sibling-previous").ClickAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Hello there.");
        await ScreenshotAsync($"{name}-3-siblings");

        // Edit the question and send it again.
        var question = Page.GetByTestId("user-message").Last;
        await question.HoverAsync();
        await question.GetByTestId("edit-message").ClickAsync();
        await question.GetByTestId("edit-box").FillAsync("Hello, Claude!");
        await ScreenshotAsync($"{name}-4-editing");
        await question.GetByTestId("edit-send").ClickAsync();
        await Expect(ui.UserMessages).ToHaveTextAsync(["Hello, Claude!"]);
        await Expect(ui.LastReplyText).ToHaveTextAsync("Hi, again.");

        // Stop a reply with Escape.
        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["A long ", "story ", "that never ends"], HoldAfterChunks = 2 });
        await ui.SendAsync("Tell me a long story");
        await Expect(ui.LastReplyText).ToHaveTextAsync("A long story");
        await Page.Keyboard.PressAsync("Escape");
        await Expect(ui.LastReply.GetByTestId("stopped")).ToBeVisibleAsync();
        await ScreenshotAsync($"{name}-5-stopped");

        // Switch to a new conversation mid-reply and back: the reply went on meanwhile.
        var release = new TaskCompletionSource();
        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["Part one, ", "part two."], HoldAfterChunks = 1, HoldUntil = release.Task });
        await ui.SendAsync("Write in two parts");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Part one,");
        var conversation = Page.Url;
        await OpenConversationsAsync(phone);
        await Page.GetByTestId("new-conversation").ClickAsync();
        await Expect(ui.Replies).ToHaveCountAsync(0);
        await ScreenshotAsync($"{name}-6-new-conversation");
        release.SetResult();
        await OpenConversationsAsync(phone);
        await ScreenshotAsync($"{name}-7-conversations");
        await ui.Conversations.Filter(new() { HasText = "Hello" }).Locator("button").First.ClickAsync();
        await Expect(Page).ToHaveURLAsync(conversation);
        await Expect(ui.LastReplyText).ToHaveTextAsync("Part one, part two.");
        await Expect(ui.UserMessages).ToHaveTextAsync(["Hello, Claude!", "Tell me a long story", "Write in two parts"]);
        await ScreenshotAsync($"{name}-8-back");

        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(width, await WiderThanTheScreenAsync());
    }

    /// <summary>On a phone the conversations are behind a button; on a desktop they are always there.</summary>
    private async Task OpenConversationsAsync(bool phone)
    {
        if (phone)
        {
            await Page.GetByTestId("conversations-toggle").ClickAsync();
        }

        await Expect(Page.GetByTestId("conversation-sidebar")).ToBeVisibleAsync();
    }
}
