using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>What a keyboard or screen-reader user needs: names on icon buttons and fields, a live message log, Escape and Enter.</summary>
public sealed class KeyboardAndScreenReaderUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task EscapeStopsAReplyBeingWritten()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Partial ", "reply ", "then silence"], HoldAfterChunks = 2 });
        using var _ = user;
        await ui.SendAsync("Take forever");
        await Expect(ui.LastReplyText).ToContainTextAsync("reply");

        await Page.Keyboard.PressAsync("Escape");

        await Expect(ui.LastReply.GetByTestId("stopped")).ToBeVisibleAsync();
        var trace = await App.TraceEndedAsync(await App.TraceStartedAsync(user.Id));
        trace["status"].ShouldBe("cancelled");
    }

    [Fact]
    public async Task ConversationsAreNamedForScreenReadersAndRenameTakesEnterAndEscapeCloses()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Fine."] });
        using var _ = user;
        await ui.SendAsync("Plan the offsite");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Fine.");

        await Expect(Page.GetByRole(AriaRole.Log, new() { Name = "Messages" })).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(Page.GetByLabel("Search conversations")).ToBeVisibleAsync();
        var actions = Page.GetByRole(AriaRole.Button, new() { Name = "Actions for Plan the offsite" });
        await actions.ClickAsync();
        await Page.GetByRole(AriaRole.Menuitem, new() { Name = "Rename" }).ClickAsync();
        await Page.GetByTestId("rename-input").FillAsync("Offsite plan");
        await Page.GetByTestId("rename-input").PressAsync("Enter");
        await Expect(Page.GetByTestId("conversation-item")).ToContainTextAsync("Offsite plan");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Actions for Offsite plan" }).ClickAsync();
        await Page.GetByRole(AriaRole.Menuitem, new() { Name = "Rename" }).ClickAsync();
        await Page.GetByTestId("rename-input").PressAsync("Escape");
        await Expect(Page.GetByTestId("rename-input")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId("conversation-item")).ToContainTextAsync("Offsite plan");
    }
}
