using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>The console's small edges: how an email, an empty field, a confirmation and a phone's chat look.</summary>
public sealed class ConsolePolishUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    [Fact]
    public async Task TheAppBarShowsTheEmailAsItIsWritten()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);

        // innerText applies text-transform: an uppercased label would read ADMIN@E2E.TEST.
        (await Page.Locator(".cc-user-menu .mud-button-label").EvaluateAsync<string>("e => e.innerText")).Trim().ShouldBe(CommandCenterApp.AdminEmail);
    }

    [Fact]
    public async Task DeletingAConversationAsksWithARedButtonAndTheMenuClosedBehindTheQuestion()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Noted."] });
        using var _ = user;
        await ui.SendAsync("Remember the milk");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");

        await ui.Conversations.First.Locator("button").Last.ClickAsync();
        await Page.GetByRole(AriaRole.Menuitem, new() { Name = "Delete" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Delete “Remember the milk” and its messages?");
        // Only the question is open: the menu's items are gone from behind it.
        await Expect(Page.GetByRole(AriaRole.Menuitem)).ToHaveCountAsync(0);
        var delete = dialog.GetByTestId("confirm-yes");
        await Expect(delete).ToHaveTextAsync("Delete");
        // The theme's error colour as the browser computes it, beside the button's background.
        var colors = await delete.EvaluateAsync<string[]>("""
            e => {
                const probe = document.createElement('span');
                probe.style.color = 'var(--mud-palette-error)';
                document.body.append(probe);
                const error = getComputedStyle(probe).color;
                probe.remove();
                return [getComputedStyle(e).backgroundColor, error];
            }
            """);
        colors[0].ShouldBe(colors[1], "the Delete button is the theme's error red");
        await ScreenshotAsync("confirm-delete-conversation");

        await delete.ClickAsync();
        await Expect(ui.Conversations).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task AnAdminSetsTheWebSearchFeeOnThePricesPage()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await ui.GotoAsync("/prices");
        var table = Page.GetByTestId("tool-prices-table");
        await Expect(table.Locator("tr", new() { HasText = "in effect" }).GetByTestId("tool-price-rate")).ToHaveTextAsync("$10");

        // No fee given: said beside the field, nothing added.
        await Page.GetByTestId("tool-price-add").ClickAsync();
        await Expect(Page.GetByTestId("tool-price-form")).ToContainTextAsync("The fee per 1,000 requests is required");

        await Page.GetByTestId("tool-price-per-thousand").FillAsync("12.5");
        await Page.GetByTestId("tool-price-add").ClickAsync();
        await Expect(table.Locator("tr", new() { HasText = "in effect" }).GetByTestId("tool-price-rate")).ToHaveTextAsync("$12.5");
        await Expect(table.Locator("tr", new() { HasText = "past" }).GetByTestId("tool-price-rate")).ToHaveTextAsync("$10");
        var row = await App.Database.SingleAsync("SELECT \"perThousandRequests\" FROM tool_prices WHERE tool = 'web_search' ORDER BY \"effectiveFrom\" DESC LIMIT 1");
        row.Values.ShouldBe([12.5m]);
        await ScreenshotAsync("prices-tool-fee");
    }

    [Fact]
    public async Task AnEmptyModelFieldShowsItsLabelOnTheBorderAndALighterExampleInside()
    {
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        foreach (var (path, testId) in new[] { ("/prices", "price-model"), ("/traces", "filter-model") })
        {
            await ui.GotoAsync(path);
            var field = Page.GetByTestId(testId);
            await Expect(field).ToBeVisibleAsync();
            var look = await field.EvaluateAsync<double[]>("""
                e => {
                    const label = e.closest('.mud-input-control').querySelector('label');
                    const placeholder = getComputedStyle(e, '::placeholder');
                    const textTop = e.getBoundingClientRect().top + parseFloat(getComputedStyle(e).paddingTop);
                    return [label.getBoundingClientRect().bottom, textTop, placeholder.fontStyle === 'italic' ? 1 : 0, parseFloat(placeholder.opacity)];
                }
                """);
            look[0].ShouldBeLessThanOrEqualTo(look[1] + 2, $"{path}: the label sits on the field's border, above its text");
            look[2].ShouldBe(1, $"{path}: the example is italic");
            look[3].ShouldBeLessThan(1, $"{path}: the example is lighter than a value");
        }

        await ui.GotoAsync("/prices");
        await ScreenshotAsync("prices-empty-form");
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(800, 900)]
    [InlineData(390, 844)]
    public async Task EveryLabelOfTheApiKeyFormIsWhole(int width, int height)
    {
        using var user = await App.NewUserAsync();
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(user.Email, user.Password);
        await Page.SetViewportSizeAsync(width, height);
        await ui.GotoAsync("/settings");
        await Expect(Page.GetByTestId("integration-key-rate")).ToBeVisibleAsync();

        var clipped = await Page.GetByTestId("integration-keys").EvaluateAsync<string[]>(
            "panel => [...panel.querySelectorAll('label')].filter(l => l.scrollWidth > l.clientWidth + 1).map(l => l.textContent)");
        clipped.ShouldBeEmpty($"labels cut at {width} px");
        var button = (await Page.GetByTestId("integration-key-create").BoundingBoxAsync()).ShouldNotBeNull();
        button.Height.ShouldBeLessThan(40, "Create key on one line");
        await ScreenshotAsync($"settings-keys-{width}");
    }

    [Fact]
    public async Task OnAPhoneTheChatHeaderIsUnderFifteenPercentAndTheComposerHintIsOneLine()
    {
        var (ui, user, agentName) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Noted."] }, chooseAgent: false);
        using var _ = user;
        using (var admin = await App.AdminAsync())
        {
            // All three totals: the conversation's, the session's and the budget's.
            (await admin.PutAsJsonAsync($"/api/budgets/user/{user.Id}", new { monthlyLimit = 1234.5m }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        await ui.GotoAsync("/");
        await Page.SetViewportSizeAsync(390, 844);
        await Expect(Page.Locator("[data-testid=composer][data-ready]")).ToHaveCountAsync(1);
        var lines = await ui.Composer.EvaluateAsync<double>("""
            box => {
                const s = getComputedStyle(box);
                const line = s.lineHeight === 'normal' ? parseFloat(s.fontSize) * 1.2 : parseFloat(s.lineHeight);
                return (box.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)) / line;
            }
            """);
        lines.ShouldBeLessThan(1.6, "the empty box is one line high");
        var box = (await ui.Composer.BoundingBoxAsync()).ShouldNotBeNull();
        (box.X + box.Width).ShouldBeLessThanOrEqualTo(390);

        await ui.ChooseAgentAsync(agentName);
        await ui.SendAsync("Remember the milk");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Noted.");
        await Expect(Page.GetByTestId("budget-left")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("conversation-total")).ToBeVisibleAsync();
        var header = (await Page.Locator(".cc-chat-header").BoundingBoxAsync()).ShouldNotBeNull();
        header.Height.ShouldBeLessThan(844 * 0.15f);
        await ScreenshotAsync("phone-chat-header");
    }

    [Fact]
    public async Task OnAPhoneTheAgentsPageButtonIsOneLineEachRowsDividerSpansItsCardAndALongNameIsCut()
    {
        var agentId = await App.CreateAgentAsync();
        // A generated name: one long hex word, with nowhere to break but mid-word.
        var name = (string)(await App.Database.SingleAsync("UPDATE agents SET name = 'Agent' || id || id WHERE id = $1 RETURNING name", agentId))["name"]!;
        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await Page.SetViewportSizeAsync(390, 844);
        await ui.GotoAsync("/agents");
        await Expect(Page.GetByTestId("agents-grid").Locator("tbody tr").First).ToBeVisibleAsync();

        var button = (await Page.GetByTestId("new-agent").BoundingBoxAsync()).ShouldNotBeNull();
        button.Height.ShouldBeLessThan(40, "New agent on one line");
        (button.X + button.Width).ShouldBeLessThanOrEqualTo(390);
        var short_ = await Page.GetByTestId("agents-grid").EvaluateAsync<string[]>("""
            grid => [...grid.querySelectorAll('tbody tr.mud-table-row')].flatMap(row => {
                const last = row.querySelector('td:last-child');
                const [r, c] = [row.getBoundingClientRect(), last.getBoundingClientRect()];
                return c.width < r.width - 2 ? [`divider ${c.width} of ${r.width}`] : [];
            })
            """);
        short_.ShouldBeEmpty();
        // The name on one line, cut with an ellipsis, whole on hover: as the report tables show names.
        var cut = Page.GetByTestId("agents-grid").GetByText(name, new() { Exact = true });
        (await LinesAsync(cut)).ShouldBe(1, "a long agent name on one line");
        (await cut.GetAttributeAsync("title")).ShouldBe(name);
        (await cut.EvaluateAsync<string>("e => getComputedStyle(e).textOverflow")).ShouldBe("ellipsis");
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390, await WiderThanTheScreenAsync());
        await ScreenshotAsync("phone-agents");
    }
}
