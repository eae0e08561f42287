using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Playwright;

namespace CommandCenter.E2E.Browser;

/// <summary>A fresh browser context and page per test; on failure a screenshot goes to TestResults/screenshots.</summary>
public abstract class BrowserTest(BrowserFixture browser, CommandCenterApp app) : IAsyncLifetime
{
    protected CommandCenterApp App { get; } = app;
    protected IBrowserContext Context { get; private set; } = null!;
    protected IPage Page { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        Context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = App.BaseUrl.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        Context.SetDefaultTimeout(15_000);
        Page = await Context.NewPageAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result == TestResult.Failed)
        {
            var screenshot = await ScreenshotAsync("FAILED-" + TestContext.Current.Test?.TestDisplayName);
            // The app's warnings and errors beside the picture: a broken circuit shows up here, not in the browser.
            await File.WriteAllLinesAsync(Path.ChangeExtension(screenshot, ".log"), App.Logs.Lines.Where(l => l.StartsWith("Warning") || l.StartsWith("Error") || l.StartsWith("Critical")));
        }

        await Context.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new operator with their own key (answered by <paramref name="scenario"/>) and a new agent, signed in.</summary>
    protected async Task<(CommandCenterPage Ui, TestUser User, string AgentName)> SignInWithAgentAsync(FakeScenario? scenario = null, bool chooseAgent = true)
    {
        var key = CommandCenterApp.NewApiKey();
        App.Fake.SetScenario(key, scenario ?? new FakeScenario());
        var user = await App.NewUserAsync(apiKey: key);
        var agentId = await App.CreateAgentAsync();
        var agentName = (string)(await App.Database.SingleAsync("SELECT name FROM agents WHERE id = $1", agentId))["name"]!;
        var ui = new CommandCenterPage(Page);
        await ui.SignInAsync(user.Email, user.Password);
        if (chooseAgent)
        {
            await ui.ChooseAgentAsync(agentName);
        }

        return (ui, user, agentName);
    }

    /// <summary>Saves a full-page screenshot under TestResults/screenshots and returns its path.</summary>
    protected async Task<string> ScreenshotAsync(string name, IPage? page = null)
    {
        var file = Path.Combine(ScreenshotFolder, string.Concat(name.Split(Path.GetInvalidFileNameChars())).Replace(' ', '_') + ".png");
        await (page ?? Page).ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        return file;
    }

    private static string ScreenshotFolder
    {
        get
        {
            var folder = Environment.GetEnvironmentVariable("CC_SCREENSHOTS");
            if (folder is null)
            {
                var root = new DirectoryInfo(AppContext.BaseDirectory);
                while (root is not null && !File.Exists(Path.Combine(root.FullName, "CommandCenter.sln")))
                {
                    root = root.Parent;
                }

                folder = Path.Combine(root?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
            }

            Directory.CreateDirectory(folder);
            return folder;
        }
    }
}
