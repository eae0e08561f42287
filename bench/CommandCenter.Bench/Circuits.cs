using Microsoft.Playwright;

namespace CommandCenter.Bench;

/// <summary>Server memory against open, idle, signed-in Command Center pages (one Blazor circuit each), in Debian's Chromium.</summary>
internal static class Circuits
{
    public static async Task<List<(double Circuits, double Bytes)>> MeasureAsync(AppProcess app, int[] counts, Func<AppProcess, Task<double>> settledResident, string path = "/")
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CC_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseUrl.ToString() });
        context.SetDefaultTimeout(60_000);

        // Signed in once; every page after shares the cookie.
        var signIn = await context.NewPageAsync();
        await signIn.GotoAsync("/Account/Login");
        await signIn.GetByLabel("Email").FillAsync(AppProcess.AdminEmail);
        await signIn.GetByLabel("Password").FillAsync(AppProcess.AdminPassword);
        await signIn.GetByTestId("sign-in").ClickAsync();
        await signIn.WaitForURLAsync(url => !url.Contains("/Account/Login"));
        // The page's first circuit also fills process-wide caches (component metadata, MudBlazor's): not a circuit's cost.
        await signIn.GotoAsync(path);
        await signIn.Locator("body[data-interactive]").WaitForAsync();
        await signIn.CloseAsync();

        var samples = new List<(double, double)>();
        var open = 0;
        foreach (var count in counts)
        {
            for (; open < count; open++)
            {
                var page = await context.NewPageAsync();
                await page.GotoAsync(path);
                await page.Locator("body[data-interactive]").WaitForAsync();
            }

            samples.Add((count, await settledResident(app)));
        }

        return samples;
    }
}
