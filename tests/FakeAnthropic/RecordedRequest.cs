using System.Text.Json;
using System.Text.Json.Nodes;

namespace CommandCenter.FakeAnthropic;

/// <summary>One request as the fake received it, and how its response ended.</summary>
public sealed class RecordedRequest
{
    private readonly JsonElement _json;
    private readonly TaskCompletionSource<DateTimeOffset> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _clientAborted;

    public required string Method { get; init; }

    public required string Path { get; init; }

    /// <summary>Request headers with lower-case names; repeated headers are joined with ", ".</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The raw body text.</summary>
    public required string Body
    {
        get;
        init
        {
            field = value;
            _json = Parse(value); // parsed once, up front, so Json is a plain read from any thread
        }
    }

    /// <summary>The parsed body; <see cref="JsonValueKind.Undefined"/> when the body is not JSON.</summary>
    public JsonElement Json => _json;

    /// <summary>The key from <c>x-api-key</c>, else from <c>Authorization: Bearer</c> (what SDK 13.x sends).</summary>
    public string? ApiKey =>
        Headers.TryGetValue("x-api-key", out var key) && key.Length > 0 ? key
        : Headers.TryGetValue("authorization", out var auth) && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && auth[7..].Trim() is { Length: > 0 } bearer ? bearer
        : null;

    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The image and document blocks of <c>messages[].content</c> the fake read, in order (files by <c>file_id</c> among this key's uploads).</summary>
    public IReadOnlyList<FakeAttachment> Attachments => AttachmentScan.Attachments;

    /// <summary>Where files sent by <c>file_id</c> are looked up; none: every file_id is unknown.</summary>
    internal FakeFileStore? Files { get; init; }

    /// <summary>The body went past the endpoint's size limit and was not read (<see cref="Body"/> is empty).</summary>
    internal bool TooLarge { get; init; }

    /// <summary>The raw body of a Files API request, which is multipart rather than JSON; dropped once read.</summary>
    internal byte[]? Upload { get; set; }

    /// <summary>Read once, on first use: the blocks and the first refusal, the files beta as the request's headers say.</summary>
    internal AttachmentScan AttachmentScan =>
        LazyInitializer.EnsureInitialized(ref _attachmentScan, () => FakeAttachments.Read(Json, id => Files?.Find(ApiKey, id), HasBeta(FilesHandler.Beta)));

    private AttachmentScan? _attachmentScan;

    /// <summary>True when the <c>anthropic-beta</c> header (a comma-separated list, repeats joined) names <paramref name="beta"/>.</summary>
    internal bool HasBeta(string beta) =>
        Headers.TryGetValue("anthropic-beta", out var betas) && betas.Split(',', StringSplitOptions.TrimEntries).Contains(beta);

    /// <summary>
    /// The content blocks the fake streamed in answer (or returned whole), put together as the non-streaming API returns them; what a client
    /// must send back, unchanged, to continue a paused turn. Read it once <see cref="Ended"/> has completed.
    /// </summary>
    public JsonNode StreamedContent
    {
        get { lock (field) return field.DeepClone(); }
        internal set;
    } = new JsonArray();

    /// <summary>Completes when the response finished or the client went away.</summary>
    public Task<DateTimeOffset> Ended => _ended.Task;

    /// <summary>True if the client disconnected before the fake finished writing (a deliberate drop is not the client's doing).</summary>
    public bool ClientAborted => _clientAborted;

    private readonly List<DateTimeOffset> _textDeltasWritten = [];

    /// <summary>When each <c>text_delta</c> was handed to the network, in order.</summary>
    public IReadOnlyList<DateTimeOffset> TextDeltasWrittenAt
    {
        get { lock (_textDeltasWritten) return [.. _textDeltasWritten]; }
    }

    internal void TextDeltaWritten()
    {
        lock (_textDeltasWritten) _textDeltasWritten.Add(DateTimeOffset.UtcNow);
    }

    private readonly Lock _pingsGate = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> _pingWaiters = [];
    private int _pingsWhileHolding;

    /// <summary>Completes once the fake has sent <paramref name="count"/> pings during a hold (see <see cref="FakeScenario.PingWhileHolding"/>).</summary>
    public Task PingsSentAsync(int count)
    {
        lock (_pingsGate)
        {
            if (_pingsWhileHolding >= count) return Task.CompletedTask;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pingWaiters.Add((count, reached));
            return reached.Task;
        }
    }

    internal void PingSent()
    {
        lock (_pingsGate)
        {
            _pingsWhileHolding++;
            foreach (var waiter in _pingWaiters.Where(w => w.Count <= _pingsWhileHolding).ToList())
            {
                waiter.Reached.TrySetResult();
                _pingWaiters.Remove(waiter);
            }
        }
    }

    internal void End(bool clientAborted)
    {
        // Set before completing Ended so awaiters always see the final value.
        _clientAborted = clientAborted;
        _ended.TrySetResult(DateTimeOffset.UtcNow);
    }

    private static JsonElement Parse(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
