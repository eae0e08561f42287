namespace CommandCenter.Services.Budgets;

/// <summary>What a budget limits: one user's replies, one agent's, or one integration key's.</summary>
public static class BudgetScope
{
    public const string User = "user";
    public const string Agent = "agent";
    public const string IntegrationKey = "apiKey";

    public static readonly IReadOnlyList<string> All = [User, Agent, IntegrationKey];
}

/// <summary>A monthly spending limit in USD for one user, agent or integration key; months are calendar months in UTC.</summary>
public sealed class Budget
{
    public required string Scope { get; set; }
    public required string SubjectId { get; set; }
    public decimal MonthlyLimit { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// One reply's claim on one budget's month. Written before Anthropic is called with the reply's worst case, then
/// settled to what the reply really cost; a month's spend is the sum of its charges, so nothing else is kept in step.
/// Charges name the budget's subject, not the budget row: removing and setting a budget again keeps the month's spend.
/// </summary>
public sealed class BudgetCharge
{
    public required string TraceId { get; set; }
    public required string Scope { get; set; }
    public required string SubjectId { get; set; }
    /// <summary>The first day of the UTC month the reply started in.</summary>
    public DateOnly Month { get; set; }
    public decimal Amount { get; set; }
    public bool Settled { get; set; }
    /// <summary>The instance that reserved it (see <see cref="Traces.InstanceLease"/>): a dead instance's open charges are settled by the next start.</summary>
    public long InstanceKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    public static DateOnly MonthOf(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, 1);
}
