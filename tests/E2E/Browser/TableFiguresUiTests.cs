using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>A cost or a count broken over two lines reads as another number: every figure in the report tables stays on one line.</summary>
public sealed class TableFiguresUiTests(BrowserFixture browser, CommandCenterApp app) : BrowserTest(browser, app), IClassFixture<CommandCenterApp>
{
    // Figures (td.cc-num, and .cc-nowrap inside a cell or a card) and cut names (.cc-ellipsis). For each element, the text it holds
    // directly is measured line by line: two text boxes share a line when their heights overlap. An ellipsis also needs its title.
    private const string Measure = """
        () => {
            const elements = [...document.querySelectorAll('.cc-page td.cc-num, .cc-page .cc-nowrap, .cc-page .cc-ellipsis')]
                .filter(e => e.getClientRects().length > 0);
            const broken = [];
            let figures = 0;
            for (const element of elements) {
                const boxes = new Map();
                const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    if (!node.textContent.trim()) continue;
                    const range = document.createRange();
                    range.selectNodeContents(node);
                    const list = boxes.get(node.parentElement) ?? [];
                    list.push(...[...range.getClientRects()].filter(r => r.width > 0));
                    boxes.set(node.parentElement, list);
                }
                for (const [parent, rects] of boxes) {
                    const lines = [];
                    for (const r of rects) {
                        const line = lines.find(l => r.top < l.bottom - 2 && r.bottom > l.top + 2);
                        if (line) { line.top = Math.min(line.top, r.top); line.bottom = Math.max(line.bottom, r.bottom); }
                        else lines.push({ top: r.top, bottom: r.bottom });
                    }
                    figures++;
                    if (lines.length > 1) broken.push(`${lines.length} lines: "${parent.textContent.trim()}"`);
                }
                if (element.classList.contains('cc-ellipsis') && element.title !== element.textContent.trim())
                    broken.push(`no whole value on hover: "${element.textContent.trim()}" title "${element.title}"`);
            }
            return { figures, broken, pageWidth: document.documentElement.scrollWidth };
        }
        """;

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task EveryCostAndCountOnTracesUsageBudgetsAndPricesIsOneLine(int width, int height)
    {
        // Big figures, a long agent name and a long email: what broke mid-token ("Rese/arche/r", "1,24/5", "≈$0.00337/0").
        using var user = await App.NewUserAsync();
        var agent = await App.CreateAgentAsync();
        await App.Database.QueryAsync("UPDATE agents SET name = 'Researcher-of-rather-long-questions-' || id WHERE id = $1", agent);
        var now = DateTimeOffset.UtcNow;
        await App.Database.InsertAsync(new(user.Id, agent, "claude-sonnet-4-6", now, "success", 1234.567891m,
            Input: 1_245_678, Output: 98_765, CacheWrite5m: 12_345, CacheWrite1h: 6_789, CacheRead: 3_456_789));
        await App.Database.InsertAsync(new(user.Id, agent, "claude-sonnet-4-6", now.AddMinutes(-5), "cancelled", 0.003370m, Input: 1_245, Output: 3, CostEstimated: true));
        using (var admin = await App.AdminAsync())
        {
            var ct = TestContext.Current.CancellationToken;
            (await admin.PutAsJsonAsync($"/api/budgets/user/{user.Id}", new { monthlyLimit = 123_456.78m }, ct)).EnsureSuccessStatusCode();
            (await admin.PutAsJsonAsync($"/api/budgets/agent/{agent}", new { monthlyLimit = 99_999.99m }, ct)).EnsureSuccessStatusCode();
        }

        var ui = new ChatPageObject(Page);
        await ui.SignInAsync(CommandCenterApp.AdminEmail, CommandCenterApp.AdminPassword);
        await Page.SetViewportSizeAsync(width, height);
        var size = width > 600 ? "desktop" : "phone";

        await ui.GotoAsync("/traces");
        await Expect(Page.GetByTestId("trace-cost").First).ToHaveTextAsync("$1234.567891");
        await ExpectOneLineAsync("traces", size, minimum: 10);
        if (width > 600)
        {
            // On a desktop the cost column is in view, not past the table's right edge.
            await ExpectWithinItsTableAsync("trace-cost");
        }

        await ui.GotoAsync("/usage");
        await Expect(Page.GetByTestId("usage-table")).ToBeVisibleAsync();
        if (width > 600)
        {
            await ExpectWithinItsTableAsync("usage-row-cost");
        }

        await Page.GetByTestId("group-user").ClickAsync();
        await Expect(Page.GetByTestId("usage-table").Locator("td[data-label=User]").First).ToBeVisibleAsync();
        await ExpectOneLineAsync("usage", size, minimum: 20);

        await ui.GotoAsync("/budgets");
        await Expect(Page.GetByTestId("budget-remaining").First).ToBeVisibleAsync();
        await ExpectOneLineAsync("budgets", size, minimum: 8);

        await ui.GotoAsync("/prices");
        await Expect(Page.GetByTestId("price-tier").First).ToBeVisibleAsync();
        await ExpectOneLineAsync("prices", size, minimum: 20);
    }

    // The cell ends inside its table's scrolling box: seen without scrolling sideways.
    private async Task ExpectWithinItsTableAsync(string testId)
    {
        var overflow = await Page.GetByTestId(testId).First.EvaluateAsync<double>(
            "cell => cell.getBoundingClientRect().right - cell.closest('.mud-table-container').getBoundingClientRect().right");
        overflow.ShouldBeLessThanOrEqualTo(1, $"{testId} reaches past its table's right edge");
    }

    private async Task ExpectOneLineAsync(string page, string size, int minimum)
    {
        var result = await Page.EvaluateAsync<JsonElement>(Measure);
        await ScreenshotAsync($"figures-{page}-{size}");
        var broken = result.GetProperty("broken").EnumerateArray().Select(b => b.GetString()).ToList();
        broken.ShouldBeEmpty($"{page} at {size} size");
        result.GetProperty("figures").GetInt32().ShouldBeGreaterThanOrEqualTo(minimum, $"{page}: the figures measured");
        // A table too wide for the screen scrolls inside its own box; the page itself does not.
        result.GetProperty("pageWidth").GetInt32().ShouldBeLessThanOrEqualTo(Page.ViewportSize!.Width, $"{page} is wider than the screen: {await WiderThanTheScreenAsync()}");
    }
}
