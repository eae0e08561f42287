using System.Text.Json.Nodes;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c> as Anthropic's Models API answers them (ANTHROPIC.md §5, O14; the
/// shape of the official SDK's <c>ModelInfo</c>): newest first, paged by <c>after_id</c>/<c>limit</c>, active and
/// deprecated models unless <c>lifecycle[]</c> asks for others. What each model accepts comes from <see cref="FakeModels"/>.
/// </summary>
internal static class FakeModelList
{
    public const string Path = "/v1/models";

    private sealed record Listing(string Id, string DisplayName, string Line, string Created, string Lifecycle, int MaxInput, int MaxTokens,
        string? DeprecatedAt = null, string? RetiresAt = null);

    // Newest first, as the API lists them. Dates and limits: ANTHROPIC.md §1 (O2–O8, O15, O19).
    private static readonly Listing[] Listings =
    [
        new("claude-fable-5-2", "Claude Fable 5.2", "fable", "2026-11-09T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-mythos-5-2", "Claude Mythos 5.2", "mythos", "2026-11-09T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-haiku-5-5", "Claude Haiku 5.5", "haiku", "2026-10-07T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-sonnet-5-5", "Claude Sonnet 5.5", "sonnet", "2026-09-28T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-opus-5-5", "Claude Opus 5.5", "opus", "2026-09-22T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-fable-5-1", "Claude Fable 5.1", "fable", "2026-09-01T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-mythos-5-1", "Claude Mythos 5.1", "mythos", "2026-09-01T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-opus-5", "Claude Opus 5", "opus", "2026-07-24T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-sonnet-5", "Claude Sonnet 5", "sonnet", "2026-06-30T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-fable-5", "Claude Fable 5", "fable", "2026-06-09T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-mythos-5", "Claude Mythos 5", "mythos", "2026-06-09T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-opus-4-8", "Claude Opus 4.8", "opus", "2026-05-28T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-opus-4-7", "Claude Opus 4.7", "opus", "2026-04-16T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-sonnet-4-6", "Claude Sonnet 4.6", "sonnet", "2026-02-17T00:00:00Z", "active", 1_000_000, 64_000),
        new("claude-opus-4-6", "Claude Opus 4.6", "opus", "2026-02-05T00:00:00Z", "active", 1_000_000, 128_000),
        new("claude-opus-4-5-20251101", "Claude Opus 4.5", "opus", "2025-11-24T00:00:00Z", "deprecated", 200_000, 64_000, "2026-11-23T00:00:00Z", "2027-01-22T00:00:00Z"),
        new("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "haiku", "2025-10-15T00:00:00Z", "active", 200_000, 64_000),
        new("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "sonnet", "2025-09-29T00:00:00Z", "retired", 200_000, 64_000, "2026-09-30T00:00:00Z", "2026-11-30T00:00:00Z"),
        new("claude-opus-4-1-20250805", "Claude Opus 4.1", "opus", "2025-08-05T00:00:00Z", "retired", 200_000, 32_000, "2026-06-05T00:00:00Z", "2026-08-05T00:00:00Z"),
        new("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "haiku", "2024-10-22T00:00:00Z", "retired", 200_000, 8_192, "2025-12-19T00:00:00Z", "2026-02-19T00:00:00Z"),
    ];

    /// <summary>The answer to a models request: its status and JSON body.</summary>
    public static (int Status, JsonObject Body) Answer(RecordedRequest request, IQueryCollection query, int maxPerPage)
    {
        if (request.Path != Path)
        {
            // GET /v1/models/{id}: an alias resolves to its model.
            var id = request.Path[(Path.Length + 1)..];
            return FakeModels.Find(id) is { } model && Listings.FirstOrDefault(l => l.Id == model.Id) is { } found
                ? (200, Info(found))
                : (404, Error("not_found_error", $"model: {id}"));
        }

        // Stainless SDKs send arrays with brackets (lifecycle[]=…); a bare name is taken too.
        var lifecycles = query["lifecycle[]"].Concat(query["lifecycle"]).OfType<string>().ToHashSet();
        if (lifecycles.Count == 0)
        {
            lifecycles = ["active", "deprecated"];
        }

        var limit = int.TryParse(query["limit"], out var asked) ? asked : 20;
        if (limit is < 1 or > 1000)
        {
            return (400, Error("invalid_request_error", "limit: Input should be less than or equal to 1000"));
        }

        var listed = Listings.Where(l => lifecycles.Contains(l.Lifecycle)).ToList();
        var start = query["after_id"].ToString() is { Length: > 0 } after ? listed.FindIndex(l => l.Id == after) + 1 : 0;
        var page = listed.Skip(start).Take(Math.Min(limit, maxPerPage)).ToList();
        return (200, new JsonObject
        {
            ["data"] = new JsonArray([.. page.Select(l => (JsonNode)Info(l))]),
            ["has_more"] = start + page.Count < listed.Count,
            ["first_id"] = page.FirstOrDefault()?.Id,
            ["last_id"] = page.LastOrDefault()?.Id,
        });
    }

    private static JsonObject Info(Listing l)
    {
        var model = FakeModels.Find(l.Id)!;
        JsonObject Supported(bool supported) => new() { ["supported"] = supported };
        var efforts = new JsonObject { ["supported"] = model.Efforts.Count > 0 };
        foreach (var level in FakeModels.AllEfforts)
        {
            efforts[level] = Supported(model.Efforts.Contains(level));
        }

        return new JsonObject
        {
            ["id"] = l.Id,
            ["type"] = "model",
            ["display_name"] = l.DisplayName,
            ["created_at"] = l.Created,
            ["lifecycle"] = l.Lifecycle,
            ["line"] = l.Line,
            ["deprecated_at"] = l.DeprecatedAt,
            ["retires_at"] = l.RetiresAt,
            ["max_input_tokens"] = l.MaxInput,
            ["max_tokens"] = l.MaxTokens,
            ["capabilities"] = new JsonObject
            {
                ["thinking"] = new JsonObject
                {
                    ["supported"] = model.ThinkingTypes.Any(t => t != "disabled"),
                    ["types"] = new JsonObject
                    {
                        ["adaptive"] = Supported(model.ThinkingTypes.Contains("adaptive")),
                        ["enabled"] = Supported(model.ThinkingTypes.Contains("enabled")),
                        // "True on a model that does not support thinking" (the SDK's ThinkingTypes).
                        ["disabled"] = Supported(model.ThinkingTypes.Contains("disabled") || model.ThinkingTypes.Count == 0),
                        ["between_tools"] = Supported(model.ThinkingTypes.Contains("between_tools")),
                    },
                },
                ["effort"] = efforts,
            },
        };
    }

    private static JsonObject Error(string type, string message) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
    };
}
