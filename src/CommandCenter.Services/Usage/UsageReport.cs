using System.Text.Json.Serialization;

namespace CommandCenter.Services.Usage;

/// <summary>What usage can be broken down by.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UsageDimension>))]
public enum UsageDimension
{
    [JsonStringEnumMemberName("day")]
    Day,
    [JsonStringEnumMemberName("agent")]
    Agent,
    [JsonStringEnumMemberName("model")]
    Model,
    [JsonStringEnumMemberName("user")]
    User,
    /// <summary>The integration key the messages came with; messages sent by their owner directly have none.</summary>
    [JsonStringEnumMemberName("apiKey")]
    IntegrationKey,
}

/// <summary>Tokens by billing class; cache tokens are never folded into input.</summary>
public sealed record UsageTokens(long Input, long CacheWrite5m, long CacheWrite1h, long CacheRead, long Output)
{
    public static readonly UsageTokens Zero = new(0, 0, 0, 0, 0);

    public UsageTokens Plus(UsageTokens other) => new(
        Input + other.Input, CacheWrite5m + other.CacheWrite5m, CacheWrite1h + other.CacheWrite1h, CacheRead + other.CacheRead, Output + other.Output);
}

/// <summary>Replies by how they ended; <c>Running</c> ones are counted with what their start has cost so far.</summary>
public sealed record UsageReplies(int Completed, int Failed, int Cancelled, int Running)
{
    public static readonly UsageReplies Zero = new(0, 0, 0, 0);

    public int Total => Completed + Failed + Cancelled + Running;

    public UsageReplies Plus(UsageReplies other) =>
        new(Completed + other.Completed, Failed + other.Failed, Cancelled + other.Cancelled, Running + other.Running);
}

/// <summary>One group of the breakdown: the dimensions not grouped by are null.</summary>
public sealed record UsageRow(
    DateOnly? Day, string? AgentId, string? AgentName, string? Model, string? UserId, string? UserEmail,
    UsageReplies Replies, UsageTokens Tokens, decimal Cost, decimal EstimatedCost, [property: JsonPropertyName("apiKeyId")] string? IntegrationKeyId = null, [property: JsonPropertyName("apiKeyName")] string? IntegrationKeyName = null,
    long WebSearchRequests = 0, decimal ToolFees = 0m, Pricing.ClassCosts Costs = default);

/// <summary>Spend over whole UTC days <see cref="From"/> to <see cref="To"/>, both included.</summary>
public sealed record UsageReport(
    DateOnly From, DateOnly To, IReadOnlyList<UsageDimension> GroupBy, IReadOnlyList<UsageRow> Rows,
    UsageReplies Replies, UsageTokens Tokens, decimal Cost, decimal EstimatedCost, long WebSearchRequests = 0, decimal ToolFees = 0m,
    Pricing.ClassCosts Costs = default);
