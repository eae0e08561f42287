namespace CommandCenter.Web.Components.Layout;

internal static class AppTheme
{
    public static readonly MudBlazor.MudTheme Theme = new()
    {
        PaletteLight = new MudBlazor.PaletteLight
        {
            Primary = "#4F46E5",
            Secondary = "#0EA5E9",
            AppbarBackground = "#FFFFFF",
            AppbarText = "#1F2937",
            Background = "#F7F7FB",
            DrawerBackground = "#FFFFFF",
        },
        PaletteDark = new MudBlazor.PaletteDark
        {
            Primary = "#818CF8",
            Secondary = "#38BDF8",
            AppbarBackground = "#16161E",
            Background = "#0F0F14",
            Surface = "#1A1A23",
            DrawerBackground = "#16161E",
        },
        Typography = new MudBlazor.Typography
        {
            Default = new MudBlazor.DefaultTypography { FontFamily = ["Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"] },
        },
        LayoutProperties = new MudBlazor.LayoutProperties { DefaultBorderRadius = "8px" },
    };
}
