using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// Answers every request the way <c>POST /v1/messages</c> does, byte for byte where clients care (a stream of events with
/// <c>"stream": true</c>, the whole message otherwise), and <c>POST /v1/messages/count_tokens</c> by the fake's own
/// tokenizer (<see cref="FakeTokens"/>); the Files API by <see cref="FilesHandler"/>, into <paramref name="files"/>.
/// Shared by the in-process server and the standalone Program.
/// </summary>
internal sealed class MessagesHandler(
    Func<RecordedRequest, FakeScenario> scenarioFor, Action<RecordedRequest>? onArrived = null, Func<int>? modelsPerPage = null, FakeFileStore? files = null)
{
    internal static readonly string[] SupportedVersions = ["2023-06-01", "2026-10-21"];

    // Relaxed escaping keeps non-ASCII text readable on the wire, as the real API does; it is still valid JSON.
    internal static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The largest Messages (and token counting) request: https://platform.claude.com/docs/en/api/errors (request size limits,
    /// 32 MB); Anthropic's edge answers a bigger one 413 <c>request_too_large</c> before the API sees it.
    /// </summary>
    internal const long MaxRequestBytes = 32L * 1024 * 1024;

    private readonly FakeFileStore _files = files ?? new();

    private FilesHandler FilesApi => field ??= new(_files);

    /// <summary>
    /// <c>GET</c> here answers <see cref="Identity"/>, unrecorded: how <c>scripts/run.sh --fake</c> tells a fake it can reuse (left
    /// running by an earlier run) from another program holding the port. Anthropic has no such path.
    /// </summary>
    internal const string IdentityPath = "/fake-anthropic";

    internal const string Identity = "Command Center's fake Anthropic upstream";

    public async Task HandleAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Path == IdentityPath)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(Identity, context.RequestAborted);
            return;
        }

        var request = await RecordAsync(context);
        if (request is null) return;
        onArrived?.Invoke(request);

        // Stopping the host must also end held or paced streams, or shutdown would wait for them.
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var selfAborted = false;
        try
        {
            selfAborted = await RespondAsync(context, request, cts.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away (or the server is stopping) mid-response: nothing left to write to.
        }
        finally
        {
            request.End(clientAborted: !selfAborted && context.RequestAborted.IsCancellationRequested);
        }
    }

    private async Task<RecordedRequest?> RecordAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var files = FilesHandler.Handles(path);
        var body = "";
        byte[]? upload = null;
        bool tooLarge;
        try
        {
            // The fake enforces the endpoint's limit itself, reading the whole body so the client hears the 413 rather than a
            // reset connection; Kestrel's own limit (30 MB by default) is lifted for that.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } kestrelLimit) kestrelLimit.MaxRequestBodySize = null;
            byte[] bytes;
            (bytes, tooLarge) = await ReadUpToAsync(context.Request.Body, files ? FilesHandler.MaxRequestBytes : MaxRequestBytes, context.RequestAborted);
            if (files)
            {
                upload = bytes; // multipart, binary: kept as bytes for the Files API, not as text
            }
            else
            {
                using var reader = new StreamReader(new MemoryStream(bytes));
                body = await reader.ReadToEndAsync(context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            return null; // The client left before sending a whole request.
        }

        return new RecordedRequest
        {
            Method = context.Request.Method,
            Path = path,
            Headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            Body = body,
            ReceivedAt = DateTimeOffset.UtcNow,
            Files = _files,
            Upload = upload,
            TooLarge = tooLarge,
        };
    }

    /// <summary>The body, or nothing and true when it is longer than <paramref name="limit"/> (the rest is read and dropped).</summary>
    private static async Task<(byte[] Bytes, bool TooLarge)> ReadUpToAsync(Stream body, long limit, CancellationToken ct)
    {
        using var kept = new MemoryStream();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            if (total <= limit) kept.Write(buffer, 0, read);
        }
        return total > limit ? ([], true) : (kept.ToArray(), false);
    }

    /// <returns>True when the fake dropped the connection on purpose.</returns>
    private async Task<bool> RespondAsync(HttpContext context, RecordedRequest request, CancellationToken ct)
    {
        var requestId = "req_" + RandomId(24);
        if (request.TooLarge)
        {
            await WriteErrorAsync(context, requestId, 413, "request_too_large", ErrorMessageFor(413), null, ct);
            return false;
        }

        if (FilesHandler.Handles(request.Path))
        {
            await FilesApi.RespondAsync(context, request, scenarioFor(request), requestId, ct);
            return false;
        }

        if (IsModelList(request))
        {
            var (listStatus, body) = request.ApiKey is null
                ? (401, new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = "authentication_error", ["message"] = "x-api-key header is required" } })
                : FakeModelList.Answer(request, context.Request.Query, modelsPerPage?.Invoke() ?? 1000);
            context.Response.StatusCode = listStatus;
            context.Response.ContentType = "application/json";
            context.Response.Headers["request-id"] = requestId;
            await context.Response.WriteAsync(body.ToJsonString(JsonOptions), ct);
            return false;
        }

        if (request.Path == CountTokensPath)
        {
            await CountTokensAsync(context, request, requestId, ct);
            return false;
        }

        if (Validate(request) is { } invalid)
        {
            await WriteErrorAsync(context, requestId, invalid.Status, invalid.Type, invalid.Message, null, ct);
            return false;
        }

        var scenario = scenarioFor(request);
        if (ContinuedTurn(request) is { } turn)
        {
            // The assistant's turn so far, sent back after a pause_turn: Anthropic checks it as a whole before going on.
            if (InvalidTurn(turn) is { } problem)
            {
                await WriteErrorAsync(context, requestId, 400, "invalid_request_error", problem, null, ct);
                return false;
            }

            scenario = scenario.Continuation ?? scenario;
        }

        if (!IsStreaming(request) && scenario.NonStreaming is { } whole) scenario = whole;

        if (scenario.FirstByteDelay > TimeSpan.Zero) await Task.Delay(scenario.FirstByteDelay, ct);
        if (scenario.FirstByteGate is { } gate) await gate.WaitAsync(ct);

        if (scenario.FailStatus is { } status)
        {
            await WriteErrorAsync(context, requestId, status, scenario.FailErrorType, scenario.FailMessage, scenario.RetryAfterSeconds, ct);
            return false;
        }

        return await ReplyAsync(context, request, scenario, requestId, ct);
    }

    private static bool IsStreaming(RecordedRequest request) =>
        request.Json.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;

    /// <summary>The content of the request's final message when it is the assistant's (a paused turn sent back); null otherwise.</summary>
    private static JsonElement? ContinuedTurn(RecordedRequest request)
    {
        var messages = request.Json.GetProperty("messages");
        var count = messages.GetArrayLength();
        return count > 0 && messages[count - 1] is var last && last.GetProperty("role").GetString() == "assistant"
            && last.GetProperty("content") is { ValueKind: JsonValueKind.Array } content
            ? content
            : null;
    }

    /// <summary>What the real API refuses in a turn sent back: blocks cut short, a tool result without its call, thinking without its signature.</summary>
    private static string? InvalidTurn(JsonElement blocks)
    {
        var calls = new HashSet<string>();
        var i = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            var at = $"messages.content.{i++}";
            string? Text(string name) => block.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            switch (Text("type"))
            {
                case "text" when Text("text") is null:
                    return $"{at}.text: Field required";
                case "text" when block.TryGetProperty("citations", out var cited) && cited.ValueKind != JsonValueKind.Array:
                    return $"{at}.citations: Input should be a valid list";
                case "thinking" when Text("thinking") is null || string.IsNullOrEmpty(Text("signature")):
                    return $"{at}.thinking.signature: Field required";
                case "redacted_thinking" when string.IsNullOrEmpty(Text("data")):
                    return $"{at}.redacted_thinking.data: Field required";
                case "server_tool_use" when Text("id") is not { } id || Text("name") is null
                    || !block.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object || !calls.Add(id):
                    return $"{at}.server_tool_use: id, name and an input object are required";
                case "web_search_tool_result" or "web_fetch_tool_result" when Text("tool_use_id") is not { } toolUseId || !calls.Contains(toolUseId):
                    return $"{at}.tool_use_id: a tool result must follow the server_tool_use block it answers";
                case "web_search_tool_result" or "web_fetch_tool_result" when !block.TryGetProperty("content", out _):
                    return $"{at}.content: Field required";
                case "text" or "thinking" or "redacted_thinking" or "server_tool_use" or "web_search_tool_result" or "web_fetch_tool_result":
                    break;
                case var other:
                    return $"{at}.type: Input tag '{other}' found using 'type' does not match any of the expected tags";
            }
        }

        return i == 0 ? "messages: a final assistant message must not be empty" : null;
    }

    internal const string CountTokensPath = "/v1/messages/count_tokens";

    internal static bool IsModelList(RecordedRequest request) =>
        request.Method == HttpMethods.Get && (request.Path == FakeModelList.Path || request.Path.StartsWith(FakeModelList.Path + "/", StringComparison.Ordinal));

    // What count_tokens accepts; anything else (max_tokens, stream) is refused, as the real endpoint does.
    private static readonly string[] CountTokensFields = ["model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers"];

    private async Task CountTokensAsync(HttpContext context, RecordedRequest request, string requestId, CancellationToken ct)
    {
        if (ValidateCount(request) is { } invalid)
        {
            await WriteErrorAsync(context, requestId, invalid.Status, invalid.Type, invalid.Message, null, ct);
            return;
        }

        var scenario = scenarioFor(request);
        if (scenario.CountTokensFailStatus is { } status)
        {
            await WriteErrorAsync(context, requestId, status, "api_error", "Internal server error", null, ct);
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers["request-id"] = requestId;
        await context.Response.WriteAsync(new JsonObject { ["input_tokens"] = FakeTokens.Count(request) }.ToJsonString(JsonOptions), ct);
    }

    private static (int Status, string Type, string Message)? ValidateCount(RecordedRequest request)
    {
        if (request.Method != HttpMethods.Post)
            return (404, "not_found_error", NotFoundMessage);
        if (request.ApiKey is null)
            return (401, "authentication_error", "x-api-key header is required");
        if (!request.Headers.TryGetValue("anthropic-version", out var version) || !SupportedVersions.Contains(version))
            return (400, "invalid_request_error", "anthropic-version: header is required");
        if (request.Json.ValueKind != JsonValueKind.Object)
            return (400, "invalid_request_error", "There was an issue with your request body: it is not a valid JSON object");
        foreach (var field in (string[])["model", "messages"])
        {
            if (!request.Json.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                return (400, "invalid_request_error", $"{field}: Field required");
        }
        foreach (var property in request.Json.EnumerateObject())
        {
            if (!CountTokensFields.Contains(property.Name))
                return (400, "invalid_request_error", $"{property.Name}: Extra inputs are not permitted");
        }
        var messages = request.Json.GetProperty("messages");
        if (messages.GetArrayLength() > 0 && messages[messages.GetArrayLength() - 1] is var last
            && last.GetProperty("role").GetString() == "assistant" && LastText(last) is { Length: > 0 } text && char.IsWhiteSpace(text[^1]))
            return (400, "invalid_request_error", "messages: final assistant content cannot end with trailing whitespace");
        return request.AttachmentScan.Refusal ?? ValidateForModel(request);
    }

    private static string LastText(JsonElement message) => message.GetProperty("content") switch
    {
        { ValueKind: JsonValueKind.String } text => text.GetString()!,
        { ValueKind: JsonValueKind.Array } blocks when blocks.GetArrayLength() > 0 && blocks[blocks.GetArrayLength() - 1].TryGetProperty("text", out var text) => text.GetString() ?? "",
        _ => "",
    };

    private static (int Status, string Type, string Message)? Validate(RecordedRequest request)
    {
        if (request.Method != HttpMethods.Post || request.Path != "/v1/messages")
            return (404, "not_found_error", NotFoundMessage);
        if (request.ApiKey is null)
            return (401, "authentication_error", "x-api-key header is required");
        if (!request.Headers.TryGetValue("anthropic-version", out var version))
            return (400, "invalid_request_error", "anthropic-version: header is required");
        if (!SupportedVersions.Contains(version))
            return (400, "invalid_request_error", $"anthropic-version: invalid version '{version}'");
        if (request.Json.ValueKind != JsonValueKind.Object)
            return (400, "invalid_request_error", "There was an issue with your request body: it is not a valid JSON object");
        foreach (var field in (string[])["model", "max_tokens", "messages"])
        {
            if (!request.Json.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                return (400, "invalid_request_error", $"{field}: Field required");
        }
        if (request.Json.TryGetProperty("stream", out var stream) && stream.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            return (400, "invalid_request_error", "stream: Input should be a valid boolean");
        // Image and document blocks: FakeAttachments names the source of each rule.
        return request.AttachmentScan.Refusal ?? ValidateForModel(request);
    }

    /// <summary>The <c>error.message</c> for a bad path, which Anthropic also sends for a retired model.</summary>
    internal const string NotFoundMessage = "Not found";

    /// <summary>
    /// What Anthropic refuses for the model asked for (<see cref="FakeModels"/>; comments name ANTHROPIC.md's source keys).
    /// A model the table does not know gets only the API-wide checks.
    /// </summary>
    private static (int Status, string Type, string Message)? ValidateForModel(RecordedRequest request)
    {
        static (int, string, string) Invalid(string message) => (400, "invalid_request_error", message);

        var body = request.Json;
        var modelId = StringAt(body, "model");
        var model = FakeModels.Find(modelId);
        // O2, T6, T7: a retired model fails as a bad path does: 404, generic message.
        if (model is { Retired: true })
            return (404, "not_found_error", NotFoundMessage);

        // O17, SK, T5: the display values, and the beta behind "updates", hold for every model.
        var thinking = ObjectAt(body, "thinking");
        var display = StringAt(thinking, "display");
        var displaySent = thinking.ValueKind == JsonValueKind.Object && thinking.TryGetProperty("display", out var shown) && shown.ValueKind != JsonValueKind.Null;
        if (displaySent && display is not ("summarized" or "omitted" or "updates"))
            return Invalid("thinking.display: Input should be 'summarized', 'omitted' or 'updates'");
        if (display == "updates" && !request.HasBeta(FakeModels.UpdatesBeta))
            return Invalid($"thinking.display: 'updates' requires the anthropic-beta header '{FakeModels.UpdatesBeta}'");

        if (model is null) return null;

        // O9, O10, SK, T5: effort levels per model (no xhigh on 4.6, low–high on Opus 4.5, none on Haiku 4.5).
        var effort = StringAt(ObjectAt(body, "output_config"), "effort");
        if (effort is not null && !model.Efforts.Contains(effort))
            return Invalid($"output_config.effort: '{effort}' is not supported by {modelId}");
        var effectiveEffort = effort ?? model.DefaultEffort;

        // O5–O10, O16, O19, SK, T5: thinking types per model; disabled (Opus 5, Haiku 5.5) and between_tools (Sonnet 5.5) only up to an effort.
        if (StringAt(thinking, "type") is { } type)
        {
            if (!model.ThinkingTypes.Contains(type))
                return Invalid($"thinking.type: '{type}' is not supported by {modelId}");
            var maxEffort = type switch { "disabled" => model.DisabledMaxEffort, "between_tools" => model.BetweenToolsMaxEffort, _ => null };
            if (maxEffort is not null && effectiveEffort is not null && FakeModels.Rank(effectiveEffort) > FakeModels.Rank(maxEffort))
                return Invalid($"thinking.type: '{type}' is not supported by {modelId} at effort '{effectiveEffort}' (highest: '{maxEffort}')");
        }

        // O17: "updates" only on Fable 5/5.1, Mythos 5.1, Opus 5.5, Sonnet 5.5.
        if (display == "updates" && !model.SupportsUpdatesDisplay)
            return Invalid($"thinking.display: 'updates' is not supported by {modelId}");

        // O5, O6, T9: forced tool_choice is refused on Opus 5.5, Sonnet 5.5, Fable/Mythos 5.1 and 5.2.
        if (model.RefusesForcedToolChoice && StringAt(ObjectAt(body, "tool_choice"), "type") is ("any" or "tool") and var forced)
            return Invalid($"tool_choice.type: '{forced}' is not supported by {modelId}");

        // O2, O16, T16: sampling parameters refused on Opus 4.7+, Sonnet 5/5.5, Fable, Mythos; Haiku 5.5 tolerates only its defaults.
        foreach (var name in (string[])["temperature", "top_p", "top_k"])
        {
            if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) continue;
            var number = value.ValueKind == JsonValueKind.Number ? value.GetDouble() : double.NaN;
            switch (model.Sampling)
            {
                case FakeSampling.Refused:
                case FakeSampling.DefaultsOnly when name == "top_k":
                    return Invalid($"{name}: sampling parameters are not supported by {modelId}");
                case FakeSampling.DefaultsOnly when name == "temperature" && number != 1:
                    return Invalid($"temperature: only 1 is supported by {modelId}");
                case FakeSampling.DefaultsOnly when name == "top_p" && Math.Abs(number - 0.99) > 1e-9:
                    return Invalid($"top_p: only 0.99 is supported by {modelId}");
            }
        }

        return null;
    }

    /// <summary>The thinking display the reply streams with: the request's, else the model's default (summarized for a model the table does not know).</summary>
    private static string EffectiveDisplay(RecordedRequest request) =>
        StringAt(ObjectAt(request.Json, "thinking"), "display")
        ?? FakeModels.Find(StringAt(request.Json, "model"))?.DefaultDisplay
        ?? "summarized";

    /// <summary>The <c>error.type</c> Anthropic sends with a status (https://platform.claude.com/docs/en/api/errors).</summary>
    internal static string ErrorTypeFor(int status) => status switch
    {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    /// <summary>An <c>error.message</c> for a status, after the descriptions in https://platform.claude.com/docs/en/api/errors.</summary>
    internal static string ErrorMessageFor(int status) => status switch
    {
        401 => "invalid x-api-key",
        403 => "Your API key does not have permission to use the specified resource.",
        404 => NotFoundMessage,
        413 => "Request exceeds the maximum allowed number of bytes.",
        429 => "Number of requests has exceeded your rate limit",
        529 => "Overloaded",
        >= 500 => "Internal server error",
        _ => "Invalid request",
    };

    private static JsonElement ObjectAt(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    private static string? StringAt(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task WriteErrorAsync(
        HttpContext context, string requestId, int status, string type, string message, int? retryAfterSeconds, CancellationToken ct)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers["request-id"] = requestId;
        if (retryAfterSeconds is { } seconds) response.Headers.RetryAfter = seconds.ToString();
        var body = new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
            ["request_id"] = requestId,
        };
        await response.WriteAsync(body.ToJsonString(JsonOptions), ct);
    }

    /// <summary>
    /// The reply, streamed as events (<c>"stream": true</c>) or, otherwise, built by the same steps with nothing written and
    /// sent whole at the end: Anthropic Messages API docs ("Create a Message"), a non-streaming request is answered with the
    /// complete message object, its content blocks, stop reason and final usage, or with an error status and no message.
    /// </summary>
    private static async Task<bool> ReplyAsync(
        HttpContext context, RecordedRequest request, FakeScenario scenario, string requestId, CancellationToken ct)
    {
        var response = context.Response;
        var streaming = IsStreaming(request);
        if (streaming)
        {
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            response.Headers["request-id"] = requestId;
            response.Headers["anthropic-organization-id"] = "00000000-0000-4000-8000-00000000fa4e";
        }
        var sse = new SseWriter(streaming ? response : null, scenario.PadDataLines, ct);
        request.StreamedContent = sse.Content;

        // What arrived, in place of the scripted text, when the newest user message carries attachments.
        var chunks = (scenario.DescribeAttachments ? FakeAttachments.Receipt(request) : null) ?? scenario.Chunks;
        var usage = scenario.Usage ?? new FakeUsage(FakeTokens.Count(request), chunks.Count);
        var cacheCreation = usage.CacheCreation5mTokens + usage.CacheCreation1hTokens;
        var message = new JsonObject
        {
            ["id"] = "msg_01" + RandomId(22),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = request.Json.GetProperty("model").ToString(),
            ["content"] = new JsonArray(),
            ["stop_reason"] = null,
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = usage.InputTokens,
                ["cache_creation_input_tokens"] = cacheCreation,
                ["cache_read_input_tokens"] = usage.CacheReadTokens,
                ["cache_creation"] = new JsonObject
                {
                    ["ephemeral_5m_input_tokens"] = usage.CacheCreation5mTokens,
                    ["ephemeral_1h_input_tokens"] = usage.CacheCreation1hTokens,
                },
                ["output_tokens"] = 1,
                ["service_tier"] = "standard",
            },
        };
        await sse.WriteAsync("message_start", new JsonObject { ["type"] = "message_start", ["message"] = message });
        await sse.PingAsync();

        var index = 0;
        var display = EffectiveDisplay(request);
        if (scenario.IncludeThinking)
        {
            // O17, SK, T5: summarized streams the readable summary; omitted and updates one empty thinking_delta, the signature kept.
            await ThinkingBlockAsync(sse, index++, display == "summarized" ? ["The user wants a reply.", " A short, friendly one will do."] : [""]);
        }

        if (scenario.IncludeRedactedThinking)
        {
            await sse.BlockStartAsync(index, new JsonObject { ["type"] = "redacted_thinking", ["data"] = "EmwKAhgBEgy3va3pzix/LafPsn4a" + RandomId(48) });
            await sse.BlockStopAsync(index++);
        }

        if (scenario.WebSearch is { } search)
        {
            var id = "srvtoolu_01" + RandomId(22);
            await ServerToolUseAsync(sse, index++, id, "web_search", ["", "{\"query\": ", JsonSerializer.Serialize(search.Query) + "}"]);
            JsonNode content = search.ErrorCode is { } code
                ? new JsonObject { ["type"] = "web_search_tool_result_error", ["error_code"] = code }
                : new JsonArray([.. search.Results.Select(r => (JsonNode)new JsonObject
                {
                    ["type"] = "web_search_result", ["url"] = r.Url, ["title"] = r.Title, ["encrypted_content"] = "EqgfCioIARgBIiQ3" + RandomId(32), ["page_age"] = "April 30, 2025",
                })]);
            await sse.BlockStartAsync(index, new JsonObject { ["type"] = "web_search_tool_result", ["tool_use_id"] = id, ["content"] = content });
            await sse.BlockStopAsync(index++);
        }

        if (scenario.WebFetch is { } fetch)
        {
            var id = "srvtoolu_01" + RandomId(22);
            await ServerToolUseAsync(sse, index++, id, "web_fetch", ["", "{\"url\": " + JsonSerializer.Serialize(fetch.Url) + "}"]);
            JsonNode content = fetch.ErrorCode is { } code
                ? new JsonObject { ["type"] = "web_fetch_tool_error", ["error_code"] = code }
                : new JsonObject
                {
                    ["type"] = "web_fetch_result",
                    ["url"] = fetch.Url,
                    ["content"] = new JsonObject
                    {
                        ["type"] = "document",
                        ["source"] = new JsonObject { ["type"] = "text", ["media_type"] = "text/plain", ["data"] = "The page's text." },
                        ["title"] = fetch.Title,
                    },
                    ["retrieved_at"] = "2025-08-25T10:30:00Z",
                };
            await sse.BlockStartAsync(index, new JsonObject { ["type"] = "web_fetch_tool_result", ["tool_use_id"] = id, ["content"] = content });
            await sse.BlockStopAsync(index++);
        }

        if ((scenario.WebSearch is not null || scenario.WebFetch is not null) && FakeModels.Find(StringAt(request.Json, "model")) is { ThinksBetweenTools: true })
        {
            // O5, O6: the text written between a tool call and the answer comes as a thinking block; at omitted it is empty (the UI goes silent).
            await ThinkingBlockAsync(sse, index++, [display == "omitted" ? "" : scenario.BetweenToolsNote]);
        }

        await sse.BlockStartAsync(index, new JsonObject { ["type"] = "text", ["text"] = "" });
        foreach (var cited in scenario.WebSearch is { ErrorCode: null } found ? found.Results : [])
        {
            await sse.BlockDeltaAsync(index, new JsonObject
            {
                ["type"] = "citations_delta",
                ["citation"] = new JsonObject
                {
                    ["type"] = "web_search_result_location", ["url"] = cited.Url, ["title"] = cited.Title, ["cited_text"] = cited.CitedText,
                    ["encrypted_index"] = "Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNm" + RandomId(16),
                },
            });
        }
        for (var sent = 0; ; sent++)
        {
            // Checkpoints run before each delta and after the last, so N = 0 means "before any text".
            if (AtCheckpoint(scenario.ErrorAfterChunks, sent, chunks.Count))
            {
                // Not yet sent, a whole message fails with the error's own status instead (529 for overloaded_error).
                if (!streaming)
                {
                    await WriteErrorAsync(context, requestId, 529, "overloaded_error", "Overloaded", null, ct);
                    return false;
                }
                await sse.WriteAsync("error", new JsonObject
                {
                    ["type"] = "error",
                    ["error"] = new JsonObject { ["type"] = "overloaded_error", ["message"] = "Overloaded" },
                });
                return false;
            }
            if (AtCheckpoint(scenario.DropAfterChunks, sent, chunks.Count))
            {
                context.Abort();
                return true;
            }
            if (AtCheckpoint(scenario.HoldAfterChunks, sent, chunks.Count))
            {
                var released = scenario.HoldUntil ?? Task.Delay(Timeout.Infinite, ct);
                while (scenario.PingWhileHolding is { } interval && !released.IsCompleted)
                {
                    if (await Task.WhenAny(released, Task.Delay(interval, ct)) != released)
                    {
                        await sse.PingAsync();
                        if (streaming) request.PingSent();
                    }
                }
                await released.WaitAsync(ct);
            }
            if (sent == chunks.Count) break;

            if (scenario.ChunkDelay > TimeSpan.Zero) await Task.Delay(scenario.ChunkDelay, ct);
            await sse.BlockDeltaAsync(index, new JsonObject { ["type"] = "text_delta", ["text"] = chunks[sent] });
            if (streaming) request.TextDeltaWritten();

            if (sent == 0 && scenario.UnknownEvent)
            {
                await sse.WriteAsync("content_block_citation_future", new JsonObject
                {
                    ["type"] = "content_block_citation_future",
                    ["index"] = index,
                    ["note"] = "an event type newer than the client; it must be skipped",
                });
            }
            if (sent == chunks.Count / 2) await sse.PingAsync();
        }
        await sse.BlockStopAsync(index++);

        if (scenario.IncludeToolUse)
        {
            await sse.BlockStartAsync(index, new JsonObject
            {
                ["type"] = "tool_use",
                ["id"] = "toolu_01" + RandomId(22),
                ["name"] = "get_weather",
                ["input"] = new JsonObject(),
            });
            // The real API opens with an empty partial_json before the pieces.
            foreach (var part in (string[])["", "{\"location\": \"San", " Francisco, CA\"}"])
                await sse.BlockDeltaAsync(index, new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = part });
            await sse.BlockStopAsync(index++);
        }

        var deltaUsage = new JsonObject();
        if (scenario.CumulativeUsageInDelta)
        {
            deltaUsage["input_tokens"] = usage.InputTokens;
            deltaUsage["cache_creation_input_tokens"] = cacheCreation;
            deltaUsage["cache_read_input_tokens"] = usage.CacheReadTokens;
        }
        deltaUsage["output_tokens"] = usage.OutputTokens;
        if (usage.ThinkingTokens is { } thinking)
        {
            // How the API breaks output down: thinking inside output_tokens, never on top.
            deltaUsage["output_tokens_details"] = new JsonObject { ["thinking_tokens"] = thinking };
        }
        if (usage.WebSearchRequests > 0)
        {
            // As Anthropic reports server tool use: cumulative, in the final usage.
            deltaUsage["server_tool_use"] = new JsonObject { ["web_search_requests"] = usage.WebSearchRequests };
        }

        var delta = new JsonObject { ["stop_reason"] = scenario.StopReason, ["stop_sequence"] = null };
        if (scenario.StopReason == "refusal")
        {
            // SDK, O18: a refusal says why, beside the stop reason.
            delta["stop_details"] = new JsonObject
            {
                ["type"] = "refusal", ["category"] = scenario.RefusalCategory, ["explanation"] = scenario.RefusalExplanation,
            };
        }

        await sse.WriteAsync("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = delta,
            ["usage"] = deltaUsage,
        });
        await sse.WriteAsync("message_stop", new JsonObject { ["type"] = "message_stop" });
        if (streaming) return false;

        // The whole message is message_start's with the blocks, the delta's stop fields and the final usage folded in,
        // which is also what the SDKs' stream accumulators return from a stream.
        message["content"] = sse.Content.DeepClone();
        var final = message["usage"]!.AsObject();
        message.Remove("usage"); // put back last, after the stop fields, where the API has it
        foreach (var (name, value) in delta) message[name] = value?.DeepClone();
        foreach (var (name, value) in deltaUsage) final[name] = value?.DeepClone();
        message["usage"] = final;
        response.ContentType = "application/json";
        response.Headers["request-id"] = requestId;
        response.Headers["anthropic-organization-id"] = "00000000-0000-4000-8000-00000000fa4e";
        await response.WriteAsync(message.ToJsonString(JsonOptions), ct);
        return false;
    }

    /// <summary>A thinking block as Anthropic streams it: opened empty, its text in deltas (one empty delta when it shows none), then its signature.</summary>
    private static async Task ThinkingBlockAsync(SseWriter sse, int index, string[] thoughts)
    {
        await sse.BlockStartAsync(index, new JsonObject { ["type"] = "thinking", ["thinking"] = "" });
        foreach (var thought in thoughts)
            await sse.BlockDeltaAsync(index, new JsonObject { ["type"] = "thinking_delta", ["thinking"] = thought });
        await sse.BlockDeltaAsync(index, new JsonObject { ["type"] = "signature_delta", ["signature"] = "EqQBCgIYAhIM" + RandomId(64) });
        await sse.BlockStopAsync(index);
    }

    /// <summary>A server tool call as Anthropic streams it: the block with an empty input, then the input in pieces.</summary>
    private static async Task ServerToolUseAsync(SseWriter sse, int index, string id, string name, string[] inputParts)
    {
        await sse.BlockStartAsync(index, new JsonObject { ["type"] = "server_tool_use", ["id"] = id, ["name"] = name, ["input"] = new JsonObject() });
        foreach (var part in inputParts)
            await sse.BlockDeltaAsync(index, new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = part });
        await sse.BlockStopAsync(index);
    }

    // A checkpoint past the last chunk fires after the last chunk, so an over-large N still triggers.
    private static bool AtCheckpoint(int? afterChunks, int sent, int count) =>
        afterChunks is { } n && Math.Clamp(n, 0, count) == sent;

    internal static string RandomId(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);

    /// <summary>
    /// Writes <c>event:</c>/<c>data:</c> frames and flushes each one, so pacing reaches the client; and keeps the content
    /// blocks it streamed, put together as the non-streaming API would return them. With no response it only keeps them.
    /// </summary>
    private sealed class SseWriter(HttpResponse? response, bool pad, CancellationToken ct)
    {
        private int _written;
        private readonly Dictionary<int, System.Text.StringBuilder> _inputs = [];

        public JsonArray Content { get; } = [];

        public Task WriteAsync(string type, JsonObject data) => WriteRawAsync(type, data.ToJsonString(JsonOptions));

        // The real API formats ping with a space after the colon; clients must not care.
        public Task PingAsync() => WriteRawAsync("ping", """{"type": "ping"}""");

        public Task BlockStartAsync(int index, JsonObject block)
        {
            lock (Content) Content.Add(block.DeepClone());
            return WriteAsync("content_block_start", new JsonObject
            {
                ["type"] = "content_block_start", ["index"] = index, ["content_block"] = block,
            });
        }

        public Task BlockDeltaAsync(int index, JsonObject delta)
        {
            lock (Content)
            {
                var block = Content[index]!.AsObject();
                switch (delta["type"]!.GetValue<string>())
                {
                    case "text_delta":
                        block["text"] = block["text"]!.GetValue<string>() + delta["text"]!.GetValue<string>();
                        break;
                    case "thinking_delta":
                        block["thinking"] = block["thinking"]!.GetValue<string>() + delta["thinking"]!.GetValue<string>();
                        break;
                    case "signature_delta":
                        block["signature"] = delta["signature"]!.GetValue<string>();
                        break;
                    case "citations_delta":
                        if (block["citations"] is not JsonArray citations) block["citations"] = citations = [];
                        citations.Add(delta["citation"]!.DeepClone());
                        break;
                    case "input_json_delta":
                        (_inputs.TryGetValue(index, out var input) ? input : _inputs[index] = new()).Append(delta["partial_json"]!.GetValue<string>());
                        break;
                }
            }
            return WriteAsync("content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta,
            });
        }

        public Task BlockStopAsync(int index)
        {
            lock (Content)
            {
                if (_inputs.Remove(index, out var input)) Content[index]!["input"] = JsonNode.Parse(input.ToString());
            }
            return WriteAsync("content_block_stop", new JsonObject
            {
                ["type"] = "content_block_stop", ["index"] = index,
            });
        }

        private async Task WriteRawAsync(string type, string json)
        {
            if (response is null) return;
            // Every other data line gets trailing spaces, to catch clients that parse the line too strictly.
            var padding = pad && _written++ % 2 == 1 ? "  " : "";
            await response.WriteAsync($"event: {type}\ndata: {json}{padding}\n\n", ct);
            await response.Body.FlushAsync(ct);
        }
    }
}
