namespace CommandCenter.Web.Components.Layout;

/// <summary>
/// The console's colours. Every text and background pair they make reaches WCAG AA (4.5:1), checked by ThemeContrastTests:
/// MudBlazor's own status colours (#00C853 green, #FF9800 orange…) carry white text at 2–3.7:1, so the light theme uses
/// deeper shades of them, and the dark theme writes dark text on its light fills instead of white.
/// </summary>
internal static class AppTheme
{
    // The dark theme's page colour, also the text on its light fills (the user's bubble, filled buttons, snackbars).
    private const string DarkPage = "#0F0F14";

    public static readonly MudBlazor.MudTheme Theme = new()
    {
        PaletteLight = new MudBlazor.PaletteLight
        {
            Primary = "#4F46E5",
            Secondary = "#0369A1",
            Info = "#1D4ED8",
            Success = "#177A3A",
            Warning = "#A9500B",
            Error = "#C62828",
            AppbarBackground = "#FFFFFF",
            AppbarText = "#1F2937",
            Background = "#F7F7FB",
            DrawerBackground = "#FFFFFF",
            // MudBlazor's 54 % black reads 4.3:1 on the tinted page; this grey is as light as 4.5:1 allows, with margin.
            TextSecondary = "#666674",
            // An input's outline is how one sees there is a field: 3:1 (WCAG 1.4.11), where #BDBDBD gave 1.8:1.
            LinesInputs = "#8A8A99",
        },
        PaletteDark = new MudBlazor.PaletteDark
        {
            Primary = "#818CF8",
            PrimaryContrastText = DarkPage,
            Secondary = "#38BDF8",
            SecondaryContrastText = DarkPage,
            InfoContrastText = DarkPage,
            SuccessContrastText = DarkPage,
            WarningContrastText = DarkPage,
            ErrorContrastText = DarkPage,
            // Alerts write their text in the "darken" shade on a faint tint of the page: on a dark page it has to be lighter.
            InfoDarken = "#60A5FA",
            SuccessDarken = "#34D399",
            ErrorDarken = "#FB7185",
            AppbarBackground = "#16161E",
            Background = DarkPage,
            Surface = "#1A1A23",
            DrawerBackground = "#16161E",
            LinesInputs = "#FFFFFF61",
        },
        Typography = new MudBlazor.Typography
        {
            Default = new MudBlazor.DefaultTypography { FontFamily = ["Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"] },
        },
        LayoutProperties = new MudBlazor.LayoutProperties { DefaultBorderRadius = "8px" },
    };
}
