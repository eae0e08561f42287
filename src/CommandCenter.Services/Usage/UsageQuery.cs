using CommandCenter.Services.Validation;

namespace CommandCenter.Services.Usage;

/// <summary>A usage request as it arrives (query string or page), checked by <see cref="Parse"/>.</summary>
public sealed record UsageQuery(DateOnly From, DateOnly To, IReadOnlyList<UsageDimension> GroupBy, string? UserId)
{
    public const int MaxDays = 366;
    public const int DefaultDays = 30;

    /// <param name="from">yyyy-MM-dd, UTC; 29 days before <paramref name="to"/> when absent.</param>
    /// <param name="to">yyyy-MM-dd, UTC, included; today when absent.</param>
    /// <param name="groupBy">Comma-separated: day, agent, model, user; <c>day</c> when absent.</param>
    /// <param name="userId">Only this user's usage (what admins may ask; others only ever see their own).</param>
    /// <exception cref="InvalidInputException">A date, a dimension or the range is not valid.</exception>
    // The public names (as the JSON says them): the integration-key dimension is "apiKey" to clients.
    private static readonly Dictionary<string, UsageDimension> Dimensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["day"] = UsageDimension.Day, ["agent"] = UsageDimension.Agent, ["model"] = UsageDimension.Model, ["user"] = UsageDimension.User,
        ["apiKey"] = UsageDimension.IntegrationKey,
    };

    public static UsageQuery Parse(string? from, string? to, string? groupBy, string? userId, DateOnly today)
    {
        var errors = new Dictionary<string, string[]>();
        var end = today;
        if (to is not null)
        {
            if (ReportDates.TryParse(to, out var parsed))
            {
                end = parsed;
            }
            else
            {
                errors["to"] = ["The end date must be a date like 2026-11-30, no later than 9999-12-30."];
            }
        }

        var start = end.DayNumber >= DefaultDays ? end.AddDays(-(DefaultDays - 1)) : DateOnly.MinValue;
        if (from is not null)
        {
            if (ReportDates.TryParse(from, out var parsed))
            {
                start = parsed;
            }
            else
            {
                errors["from"] = ["The start date must be a date like 2026-11-01, no later than 9999-12-30."];
            }
        }

        if (errors.Count == 0 && start > end)
        {
            errors["from"] = ["The start date must not be after the end date."];
        }
        else if (errors.Count == 0 && end.DayNumber - start.DayNumber + 1 > MaxDays)
        {
            errors["to"] = [$"The range is at most {MaxDays} days."];
        }

        var dimensions = new List<UsageDimension>();
        foreach (var name in (groupBy ?? "day").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Dimensions.TryGetValue(name, out var dimension))
            {
                errors["groupBy"] = ["Group by any of day, agent, model, user and apiKey, separated by commas."];
                break;
            }

            if (!dimensions.Contains(dimension))
            {
                dimensions.Add(dimension);
            }
        }

        if (userId is { Length: 0 or > 450 })
        {
            errors["userId"] = ["The user id is not valid."];
        }

        return errors.Count > 0 ? throw new InvalidInputException(errors) : new UsageQuery(start, end, dimensions, userId);
    }
}
