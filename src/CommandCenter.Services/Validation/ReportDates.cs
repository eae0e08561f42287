using System.Globalization;

namespace CommandCenter.Services.Validation;

/// <summary>The whole UTC days reports and filters take: yyyy-MM-dd, and not so late that the day after cannot be a time.</summary>
public static class ReportDates
{
    /// <summary>The last day a range may end on: its end is the start of the next day, which must still be a <see cref="DateTimeOffset"/>.</summary>
    public static readonly DateOnly Last = DateOnly.MaxValue.AddDays(-1);

    public static bool TryParse(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day) && day <= Last;
}
