namespace CommandCenter.FakeAnthropic;

/// <summary>How the fake answers one request: content, pacing, usage and failures.</summary>
public sealed record FakeScenario
{
    /// <summary>Text of the reply; one <c>text_delta</c> per item.</summary>
    public IReadOnlyList<string> Chunks { get; init; } = ["Hello", ", ", "world", "!"];

    /// <summary>Pause before each text delta, so a stream is observably paced.</summary>
    public TimeSpan ChunkDelay { get; init; }

    /// <summary>Pause before the response headers are sent.</summary>
    public TimeSpan FirstByteDelay { get; init; }

    /// <summary>Sends nothing, not even the response headers, until this completes.</summary>
    public Task? FirstByteGate { get; init; }

    /// <summary>Usage to report; null reports the prompt's tokens by <see cref="FakeTokens"/> as input and output = <see cref="Chunks"/> count.</summary>
    public FakeUsage? Usage { get; init; }

    /// <summary>True: <c>message_delta.usage</c> repeats input and cache counts (current API); false: only <c>output_tokens</c> (older API).</summary>
    public bool CumulativeUsageInDelta { get; init; } = true;

    /// <summary>HTTP status (401, 400, 429, 500, 529 …) returned with a JSON error body instead of a reply (streamed or not).</summary>
    public int? FailStatus { get; init; }

    /// <summary>HTTP status returned by <c>count_tokens</c> instead of a count.</summary>
    public int? CountTokensFailStatus { get; init; }

    /// <summary>The <c>error.type</c> of a pre-stream failure, e.g. <c>rate_limit_error</c>.</summary>
    public string FailErrorType { get; init; } = "api_error";

    /// <summary>The <c>error.message</c> of a pre-stream failure.</summary>
    public string FailMessage { get; init; } = "Internal server error";

    /// <summary>Adds a <c>retry-after</c> header to a pre-stream failure.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>After N text deltas send <c>event: error</c> (overloaded_error) and end the response; a non-streaming request gets 529 overloaded_error instead.</summary>
    public int? ErrorAfterChunks { get; init; }

    /// <summary>After N text deltas abort the TCP connection.</summary>
    public int? DropAfterChunks { get; init; }

    /// <summary>After N text deltas send nothing more until the client disconnects (or the server stops), or until <see cref="HoldUntil"/> completes.</summary>
    public int? HoldAfterChunks { get; init; }

    /// <summary>Ends the hold of <see cref="HoldAfterChunks"/>: the stream then goes on to its end.</summary>
    public Task? HoldUntil { get; init; }

    /// <summary>During the hold, a <c>ping</c> event at this interval, as Anthropic sends while the model is busy.</summary>
    public TimeSpan? PingWhileHolding { get; init; }

    /// <summary>
    /// Adds a thinking block (thinking and signature deltas) before the text block; its text only when the display is summarized
    /// (the request's <c>thinking.display</c>, else the model's default), else one empty delta.
    /// </summary>
    public bool IncludeThinking { get; init; }

    /// <summary>Adds a <c>redacted_thinking</c> block (encrypted; never to be shown) after the thinking.</summary>
    public bool IncludeRedactedThinking { get; init; }

    /// <summary>A web search before the text: a <c>server_tool_use</c> block, its <c>web_search_tool_result</c>, and a <c>citations_delta</c> per result at the start of the text.</summary>
    public FakeWebSearch? WebSearch { get; init; }

    /// <summary>A web fetch before the text: a <c>server_tool_use</c> block named web_fetch and its <c>web_fetch_tool_result</c>.</summary>
    public FakeWebFetch? WebFetch { get; init; }

    /// <summary>
    /// On a model that writes between tool calls into thinking (Opus 5.5, Sonnet 5.5), the text of the thinking block streamed after a
    /// <see cref="WebSearch"/> or <see cref="WebFetch"/> result; sent when the display is summarized or updates, empty when omitted.
    /// </summary>
    public string BetweenToolsNote { get; init; } = "Found 2 results; reading the most relevant one.";

    /// <summary>Adds a <c>tool_use</c> block streamed as <c>input_json_delta</c> after the text block.</summary>
    public bool IncludeToolUse { get; init; }

    /// <summary>The <c>stop_reason</c> in <c>message_delta</c>, e.g. <c>max_tokens</c>, or <c>pause_turn</c> (see <see cref="Continuation"/>).</summary>
    public string StopReason { get; init; } = "end_turn";

    /// <summary>With <see cref="StopReason"/> <c>refusal</c>: the <c>stop_details.category</c> (cyber, bio, frontier_llm, reasoning_extraction, general_harms).</summary>
    public string RefusalCategory { get; init; } = "cyber";

    /// <summary>With <see cref="StopReason"/> <c>refusal</c>: the <c>stop_details.explanation</c>.</summary>
    public string RefusalExplanation { get; init; } = "This request was declined because it could facilitate harm.";

    /// <summary>
    /// How the fake answers a request that continues a paused turn (its last message is the assistant's content so far,
    /// which the fake first checks as the API does); null answers it like any other request.
    /// </summary>
    public FakeScenario? Continuation { get; init; }

    /// <summary>
    /// How the fake answers a request without <c>"stream": true</c> (a client falling back from a broken stream to the
    /// whole message, as Claude Code does); null answers it from this scenario.
    /// </summary>
    public FakeScenario? NonStreaming { get; init; }

    /// <summary>
    /// When the newest user message carries image or document blocks, the reply's text (streamed or whole) is a receipt of
    /// what arrived instead of <see cref="Chunks"/>, so a test can see the bytes went through:
    /// <c>Received 2 attachments: image/png 1234 bytes 40x30 by file_id; application/pdf 5678 bytes 1 page inline.</c>
    /// One item per block, in order: the media type, the bytes (decoded from base64, or the uploaded file's size), an image's
    /// width x height or a PDF's pages ("1 page", "2 pages"), then <c>inline</c> or <c>by file_id</c> (<see cref="FakeAttachment.Description"/>).
    /// Sent in chunks: <c>"Received 2 attachments: "</c>, the first item, <c>"; "</c> + each further item, <c>"."</c>. False sends <see cref="Chunks"/>.
    /// </summary>
    public bool DescribeAttachments { get; init; } = true;

    /// <summary>
    /// Refuses every Files API request (upload, list, read, delete) that passes authentication and the beta check with this status,
    /// in Anthropic's error shape: 403 <c>permission_error</c>, 404 <c>not_found_error</c>, 429, 500, 529 … (the type follows the status).
    /// </summary>
    public int? FilesApiStatus { get; init; }

    /// <summary>Pads some <c>data:</c> lines with trailing spaces, which clients must tolerate.</summary>
    public bool PadDataLines { get; init; } = true;

    /// <summary>Includes an event type the client cannot know yet, which it must skip.</summary>
    public bool UnknownEvent { get; init; } = true;
}

/// <summary>A search and what it found, or the error code it failed with (e.g. <c>max_uses_exceeded</c>).</summary>
public sealed record FakeWebSearch(string Query, IReadOnlyList<FakeSearchResult> Results, string? ErrorCode = null);

public sealed record FakeSearchResult(string Url, string Title, string CitedText);

/// <summary>A fetched page, or the error code the fetch failed with (e.g. <c>url_not_accessible</c>).</summary>
public sealed record FakeWebFetch(string Url, string Title, string? ErrorCode = null);

/// <summary>Token counts reported in <c>message_start</c> and <c>message_delta</c>.</summary>
public sealed record FakeUsage(
    int InputTokens,
    int OutputTokens,
    int CacheCreation5mTokens = 0,
    int CacheCreation1hTokens = 0,
    int CacheReadTokens = 0,
    int WebSearchRequests = 0,
    int? ThinkingTokens = null);
