using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Browser;

/// <summary>Two messages a minute, and open pages never revalidated by time (so only the message start can refuse).</summary>
public sealed class UiPolicyApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("RateLimits:MessagesPerMinute", "2"),
        new("Auth:SessionRevalidationInterval", "01:00:00"),
    ];
}

/// <summary>The account policy holds on the page as on the API: the message start enforces it.</summary>
public sealed class AccountPolicyUiTests(BrowserFixture browser, UiPolicyApp app) : BrowserTest(browser, app), IClassFixture<UiPolicyApp>
{
    [Fact]
    public async Task AnOpenPageOfADisabledAccountCannotSend()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Hi."] });
        using var _ = user;
        using var admin = await App.AdminAsync();
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        await ui.SendAsync("Still here?");

        await Expect(ui.LastReply.GetByTestId("message-error")).ToContainTextAsync("This account is disabled.");
        App.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
    }

    [Fact]
    public async Task ThePageHasTheSameMessageRateLimitAsTheApi()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Ok."] });
        using var _ = user;
        for (var i = 1; i <= 2; i++)
        {
            await ui.SendAsync($"Message {i}");
            await Expect(ui.Replies).ToHaveCountAsync(i);
            await Expect(ui.LastReply.GetByTestId("cost")).ToBeVisibleAsync();
        }

        await ui.SendAsync("One too many");
        await Expect(ui.LastReply.GetByTestId("message-error")).ToContainTextAsync("Too many messages");
        App.Fake.RequestsFor(user.ApiKey!).Count.ShouldBe(2);
    }
}

/// <summary>Open pages revalidated every second.</summary>
public sealed class QuickRevalidationApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Auth:SessionRevalidationInterval", "00:00:01")];
}

public sealed class DisabledSessionUiTests(BrowserFixture browser, QuickRevalidationApp app) : BrowserTest(browser, app), IClassFixture<QuickRevalidationApp>
{
    [Fact]
    public async Task AnOpenPageSignsOutWithinSecondsOfTheAccountBeingDisabled()
    {
        var (ui, user, _) = await SignInWithAgentAsync(chooseAgent: false);
        using var _ = user;
        await Expect(ui.Composer).ToBeVisibleAsync();
        using var admin = await App.AdminAsync();
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
        await Expect(ui.Composer).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task SigningOutEndsTheSignInEvenForACopyOfItsCookie()
    {
        var (ui, user, _) = await SignInWithAgentAsync(chooseAgent: false);
        using var _ = user;
        await Expect(ui.Composer).ToBeVisibleAsync();
        // Someone copied the cookie (a shared machine, a leaked header): it works until the owner signs out.
        var copied = new System.Net.CookieContainer();
        foreach (var cookie in await Context.CookiesAsync())
        {
            copied.Add(new System.Net.Cookie(cookie.Name, cookie.Value, cookie.Path, "127.0.0.1"));
        }

        using var thief = new HttpClient(new HttpClientHandler { CookieContainer = copied, AllowAutoRedirect = false }) { BaseAddress = App.BaseUrl };
        (await thief.GetAsync("/settings", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);

        await Page.GetByTestId("user-menu").ClickAsync();
        await Page.GetByTestId("sign-out").ClickAsync();
        await Expect(Page.GetByTestId("sign-in")).ToBeVisibleAsync();

        var status = await Eventually.UntilAsync(
            async () =>
            {
                using var settings = await thief.GetAsync("/settings", TestContext.Current.CancellationToken);
                return settings.StatusCode;
            },
            status => status != System.Net.HttpStatusCode.OK,
            TimeSpan.FromSeconds(15));
        status.ShouldBe(System.Net.HttpStatusCode.Redirect, "to the sign-in page: the copied cookie ended with the sign-out");
    }

    [Theory]
    [InlineData("https://evil.example/x")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("javascript:alert(1)")]
    public async Task ASignInWithAForeignReturnUrlLandsOnTheHomePage(string returnUrl)
    {
        using var user = await App.NewUserAsync();

        await Page.GotoAsync("/Account/Login?ReturnUrl=" + Uri.EscapeDataString(returnUrl));
        await Page.GetByLabel("Email").FillAsync(user.Email);
        await Page.GetByLabel("Password").FillAsync(user.Password);
        await Page.GetByTestId("sign-in").ClickAsync();

        await Expect(Page.GetByTestId("user-menu")).ToBeVisibleAsync();
        await Expect(Page).ToHaveURLAsync(App.BaseUrl.ToString());
    }
}
