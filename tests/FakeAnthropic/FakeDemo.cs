using System.Text.Json;
using System.Text.RegularExpressions;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// How the standalone fake (<c>scripts/run.sh --fake</c>) answers: it echoes the user in word-sized chunks, paced so a human
/// sees streaming, and shows every feature the request asks for (thinking when thinking is on, a web search with two results
/// and their citations when the web search tool is offered, a fetched page when web fetch is), so a newcomer can see the whole
/// console without an Anthropic account.
/// </summary>
public static partial class FakeDemo
{
    /// <summary>Pause before each word.</summary>
    public static readonly TimeSpan WordDelay = TimeSpan.FromMilliseconds(40);

    /// <summary>The thinking tokens reported when the reply thinks (part of the output, as Anthropic reports them).</summary>
    public const int ThinkingTokens = 24;

    /// <summary>The made-up sources of the demo's web search; the reply cites both.</summary>
    public static readonly IReadOnlyList<FakeSearchResult> SearchResults =
    [
        new("https://example.com/", "Example Domain (a made-up search result)", "This domain is for use in illustrative examples in documents."),
        new("https://example.org/", "Example Domain (another made-up result)", "You may use this domain in literature without prior coordination."),
    ];

    /// <summary>The scenario for one request, from what it asks for.</summary>
    public static FakeScenario ScenarioFor(RecordedRequest request)
    {
        var body = request.Json;
        var said = LastUserText(body).Trim();
        var thinks = Thinks(body);
        var tools = ToolTypes(body);
        FakeWebSearch? search = tools.Any(t => t.StartsWith("web_search", StringComparison.Ordinal))
            ? new FakeWebSearch(QueryFrom(said), SearchResults)
            : null;
        FakeWebFetch? fetch = tools.Any(t => t.StartsWith("web_fetch", StringComparison.Ordinal))
            ? new FakeWebFetch(FirstUrl(said) ?? "https://example.com/", "Example Domain")
            : null;

        var text = $"You said: {(said.Length > 200 ? said[..200] : said)}\n\n"
            + "This reply comes from the fake Anthropic server, so no tokens were spent. "
            + (thinks ? "It thought first; the thinking is canned too. " : "")
            + (search is not null ? $"It searched the web for \u201c{search.Query}\u201d and cites the two made-up sources it found. " : "")
            + (fetch is not null ? $"It fetched {fetch.Url}. " : "")
            + "It streams one word at a time to show how the interface renders partial text. "
            + "Usage counts one token per word of your request.";
        IReadOnlyList<string> chunks = [.. Words().Matches(text).Select(m => m.Value)];
        return new FakeScenario
        {
            Chunks = chunks,
            ChunkDelay = WordDelay,
            IncludeThinking = thinks,
            WebSearch = search,
            WebFetch = fetch,
            Usage = new FakeUsage(
                FakeTokens.Count(request),
                chunks.Count + (thinks ? ThinkingTokens : 0),
                WebSearchRequests: search is null ? 0 : 1,
                ThinkingTokens: thinks ? ThinkingTokens : null),
        };
    }

    /// <summary>
    /// Thinking is on when the request has a <c>thinking</c> object whose type is neither <c>disabled</c> nor
    /// <c>between_tools</c> (which thinks only between tool calls; the fake writes that note after a tool on the models that do).
    /// </summary>
    private static bool Thinks(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.Object
        && !(thinking.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() is "disabled" or "between_tools");

    /// <summary>The <c>type</c> of every tool offered (server tools are named by their versioned type, e.g. <c>web_search_20260318</c>).</summary>
    private static List<string> ToolTypes(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array
            ? [.. tools.EnumerateArray()
                .Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
                .Select(t => t.GetProperty("type").GetString()!)]
            : [];

    private static string QueryFrom(string said)
    {
        var line = Whitespace().Replace(said, " ").Trim();
        return line.Length == 0 ? "command center" : line.Length > 60 ? line[..60].TrimEnd() : line;
    }

    private static string? FirstUrl(string said) => Url().Match(said) is { Success: true } url ? url.Value.TrimEnd('.', ',', ')', ';', '!', '?') : null;

    // Content is either a string or a list of blocks, of which only text blocks count here.
    private static string LastUserText(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array) return "";
        var last = messages.EnumerateArray().LastOrDefault(m => m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var role) && role.ValueEquals("user"));
        if (last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("content", out var content)) return "";
        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => string.Concat(content.EnumerateArray()
                .Where(b => b.ValueKind == JsonValueKind.Object && b.TryGetProperty("type", out var type) && type.ValueEquals("text")
                    && b.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                .Select(b => b.GetProperty("text").GetString())),
            _ => "",
        };
    }

    [GeneratedRegex(@"\S+\s*")]
    private static partial Regex Words();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex Url();
}
