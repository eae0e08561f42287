using System.Globalization;
using System.Text;

namespace CommandCenter.Services.Usage;

/// <summary>A usage report's rows as CSV (RFC 4180), one line per row, the grouped dimensions first.</summary>
public static class UsageCsv
{
    public static string Write(UsageReport report)
    {
        var text = new StringBuilder();
        var dimensions = report.GroupBy;
        var header = dimensions.SelectMany(d => d switch
        {
            UsageDimension.Day => ["day"],
            UsageDimension.Agent => ["agentId", "agent"],
            UsageDimension.Model => ["model"],
            UsageDimension.User => ["userId", "user"],
            _ => (string[])["apiKeyId", "apiKey"],
        });
        text.AppendJoin(',', header.Concat(
            ["completed", "failed", "cancelled", "running", "inputTokens", "cacheWrite5mTokens", "cacheWrite1hTokens", "cacheReadTokens", "outputTokens",
                "webSearchRequests", "toolFees", "cost", "estimatedCost", "inputCost", "cacheWrite5mCost", "cacheWrite1hCost", "cacheReadCost", "outputCost"]));
        text.Append("\r\n");
        foreach (var row in report.Rows)
        {
            var fields = dimensions.SelectMany(d => d switch
            {
                UsageDimension.Day => [row.Day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)],
                UsageDimension.Agent => [row.AgentId, row.AgentName],
                UsageDimension.Model => [row.Model],
                UsageDimension.User => [row.UserId, row.UserEmail],
                _ => (string?[])[row.IntegrationKeyId, row.IntegrationKeyName],
            }).Select(Field).Concat(new object[]
            {
                row.Replies.Completed, row.Replies.Failed, row.Replies.Cancelled, row.Replies.Running,
                row.Tokens.Input, row.Tokens.CacheWrite5m, row.Tokens.CacheWrite1h, row.Tokens.CacheRead, row.Tokens.Output,
                row.WebSearchRequests, row.ToolFees, row.Cost, row.EstimatedCost,
                row.Costs.Input, row.Costs.CacheWrite5m, row.Costs.CacheWrite1h, row.Costs.CacheRead, row.Costs.Output,
            }.Select(n => Convert.ToString(n, CultureInfo.InvariantCulture)!));
            text.AppendJoin(',', fields);
            text.Append("\r\n");
        }

        return text.ToString();
    }

    /// <summary>Quoted when needed; a leading = + - @ is defused, so a spreadsheet never runs a name as a formula.</summary>
    private static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
