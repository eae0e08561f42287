using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

public sealed class ConversationUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task TwoTurnsSurviveAReloadAndConversationsSwitch()
    {
        var (ui, user, agentName) = await SignInWithAgentAsync();
        using var _ = user;
        var key = user.ApiKey!;

        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["Hello ", "Ada."], Usage = new FakeUsage(20, 6) });
        await ui.SendAsync("I am Ada");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Hello Ada.");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/c/[0-9a-f]{32}$"));
        var firstConversation = Page.Url;

        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["You ", "are ", "Ada."], Usage = new FakeUsage(40, 6) });
        await ui.SendAsync("Who am I?");
        await Expect(ui.Replies).ToHaveCountAsync(2);
        await Expect(ui.LastReplyText).ToHaveTextAsync("You are Ada.");
        App.Fake.RequestsFor(key)[^1].Json.GetProperty("messages").GetArrayLength().ShouldBe(3);

        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.UserMessages).ToHaveTextAsync(["I am Ada", "Who am I?"]);
        await Expect(ui.Replies.GetByTestId("reply-text")).ToHaveTextAsync(["Hello Ada.", "You are Ada."]);
        await Expect(ui.Replies.GetByTestId("cost")).ToHaveTextAsync(["$0.000150", "$0.000210"]);
        await Expect(Page.GetByTestId("conversation-total")).ToContainTextAsync("$0.000360");
        await Expect(Page.GetByTestId("agent-picker")).ToBeDisabledAsync();

        await Page.GetByTestId("new-conversation").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/$"));
        await Expect(ui.Replies).ToHaveCountAsync(0);
        App.Fake.SetScenario(key, new FakeScenario { Chunks = ["A fresh start."] });
        await ui.ChooseAgentAsync(agentName);
        await ui.SendAsync("Something else entirely");
        await Expect(ui.LastReplyText).ToHaveTextAsync("A fresh start.");
        await Expect(ui.Conversations).ToHaveCountAsync(2);

        await ui.Conversations.Filter(new LocatorFilterOptions { HasText = "I am Ada" }).Locator("button").First.ClickAsync();
        await Expect(Page).ToHaveURLAsync(firstConversation);
        await Expect(ui.UserMessages).ToHaveTextAsync(["I am Ada", "Who am I?"]);
        await Expect(ui.Conversations.Filter(new LocatorFilterOptions { HasText = "I am Ada" })).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("cc-selected"));

        // Search finds conversations by the text of their messages, not only their titles.
        await Page.GetByTestId("conversation-search").FillAsync("fresh start");
        await Expect(ui.Conversations).ToHaveCountAsync(1);
        await Expect(ui.Conversations).ToContainTextAsync("Something else entirely");

        // Rename, archive and delete from the sidebar's menu.
        await Page.GetByTestId("conversation-search").FillAsync("");
        await Expect(ui.Conversations).ToHaveCountAsync(2);
        var ada = ui.Conversations.Filter(new LocatorFilterOptions { HasText = "I am Ada" });
        await ada.Locator("button").Last.ClickAsync();
        await Page.GetByRole(AriaRole.Menuitem, new() { Name = "Rename" }).ClickAsync();
        await Page.GetByTestId("rename-input").FillAsync("Ada's profile");
        await Page.GetByTestId("rename-save").ClickAsync();
        await Expect(ui.Conversations.Filter(new LocatorFilterOptions { HasText = "Ada's profile" })).ToHaveCountAsync(1);

        var renamed = ui.Conversations.Filter(new LocatorFilterOptions { HasText = "Ada's profile" });
        await renamed.Locator("button").Last.ClickAsync();
        await Page.GetByRole(AriaRole.Menuitem, new() { Name = "Archive" }).ClickAsync();
        await Expect(ui.Conversations).ToHaveCountAsync(1);
        await Page.GetByTestId("show-archived").CheckAsync();
        await Expect(ui.Conversations).ToHaveCountAsync(2);
        await Expect(renamed).ToContainTextAsync("archived");

        var other = ui.Conversations.Filter(new LocatorFilterOptions { HasText = "Something else entirely" });
        await other.Locator("button").Last.ClickAsync();
        await Page.GetByRole(AriaRole.Menuitem, new() { Name = "Delete" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(ui.Conversations).ToHaveCountAsync(1);
        (await App.Database.QueryAsync("SELECT 1 FROM conversations WHERE \"ownerId\" = $1", user.Id)).Count.ShouldBe(1);

        await Page.GetByTestId("user-menu").ClickAsync();
        await Page.GetByTestId("sign-out").ClickAsync();
        await Expect(Page.GetByTestId("sign-in")).ToBeVisibleAsync();
        await Page.GotoAsync(firstConversation);
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
    }

    [Fact]
    public async Task ScreenshotsMidStreamAndAfterInBothThemes()
    {
        var (ui, user, agentName) = await SignInWithAgentAsync(chooseAgent: false);
        using var _ = user;
        var key = user.ApiKey!;
        string[] reply =
        [
            "Here is a **plan** for the migration:\n\n", "1. Freeze writes\n", "2. Copy the data\n", "3. Verify counts\n\n",
            "```sql\nSELECT count(*) FROM task_trace;\n```\n\n", "Total downtime: about *five minutes*.",
        ];

        foreach (var theme in new[] { "light", "dark" })
        {
            if (theme == "dark")
            {
                await Page.GetByTestId("theme-toggle").ClickAsync();
                await Page.GetByTestId("new-conversation").ClickAsync();
            }

            App.Fake.SetScenario(key, new FakeScenario { Chunks = reply, ChunkDelay = TimeSpan.FromMilliseconds(400), Usage = new FakeUsage(1_250, 96, CacheReadTokens: 3_000) });
            await ui.ChooseAgentAsync(agentName);
            await ui.SendAsync("How do we migrate with little downtime?");
            await Expect(ui.LastReplyText).ToContainTextAsync("Copy the data");
            await Expect(ui.LastReply.Locator(".cc-typing")).ToBeVisibleAsync();
            await ScreenshotAsync($"command-center-mid-stream-{theme}");

            // Sonnet 4.5: 1,250 × $3 + 3,000 cached × $0.30 + 96 × $15, per million tokens.
            await Expect(ui.LastReply.GetByTestId("cost")).ToHaveTextAsync("$0.006090");
            await Expect(ui.LastReply.Locator(".cc-typing")).ToHaveCountAsync(0);
            await Expect(ui.LastReply.GetByTestId("cost-line")).ToContainTextAsync("3,000 cache read");
            await ScreenshotAsync($"command-center-complete-{theme}");
        }

        // What the cache saved is worked out again from the stored price after a reload.
        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.LastReply.GetByTestId("cost-line")).ToContainTextAsync("saved $0.008100");
    }
}
