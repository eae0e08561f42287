using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace CommandCenter.FakeAnthropic;

/// <summary>An in-process fake of the Anthropic Messages API (and its Files API) on a random loopback port, recording every request.</summary>
public sealed class FakeAnthropicServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeScenario> _scenarios = new();
    private readonly Lock _lock = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<RecordedRequest> _tokenCounts = [];
    private readonly List<RecordedRequest> _modelLists = [];
    private readonly List<RecordedRequest> _fileRequests = [];
    private readonly FakeFileStore _files = new();
    private readonly List<(Func<RecordedRequest, bool> Match, TaskCompletionSource<RecordedRequest> Arrived)> _waiters = [];

    private FakeAnthropicServer(WebApplication app) => _app = app;

    /// <summary>Starts Kestrel on http://127.0.0.1 with a free port.</summary>
    public static async Task<FakeAnthropicServer> StartAsync(CancellationToken ct = default)
    {
        // The empty builder reads no appsettings or environment, so whatever config sits in the
        // test's output folder (the app under test's, say) cannot add endpoints or logging here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeAnthropicServer(app);
        app.Run(new MessagesHandler(server.ScenarioFor, server.Record, () => server.ModelsPerPage, server._files).HandleAsync);
        await app.StartAsync(ct);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>The server's root, with a trailing slash.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The most models one page of <c>GET /v1/models</c> holds, whatever the client asks (Anthropic's is 1,000): a test of paging lowers it.</summary>
    public int ModelsPerPage { get; set; } = 1000;

    /// <summary>Every Models API request so far (<c>GET /v1/models…</c>); they are not among <see cref="Requests"/>.</summary>
    public IReadOnlyList<RecordedRequest> ModelListRequests
    {
        get { lock (_lock) return [.. _modelLists]; }
    }

    /// <summary>The <c>anthropic-beta</c> the Files API asks for, on uploads and on Messages requests that send a file by <c>file_id</c>.</summary>
    public const string FilesBeta = FilesHandler.Beta;

    /// <summary>Every Files API request so far (<c>/v1/files…</c>: uploads, reads, deletes), refused ones included; they are not among <see cref="Requests"/>.</summary>
    public IReadOnlyList<RecordedRequest> FileRequests
    {
        get { lock (_lock) return [.. _fileRequests]; }
    }

    /// <summary>Every file the Files API accepted, in arrival order (deleted ones too): its key, id, name, type, bytes and SHA-256.</summary>
    public IReadOnlyList<FakeFileUpload> FileUploads => _files.Uploads;

    /// <summary>The scenario for requests whose key has none of its own.</summary>
    public FakeScenario DefaultScenario { get; set; } = new();

    /// <summary>
    /// Chooses the scenario from the request itself for requests whose key has none of its own (e.g. <see cref="FakeDemo.ScenarioFor"/>,
    /// what the standalone fake answers with); null answers them with <see cref="DefaultScenario"/>.
    /// </summary>
    public Func<RecordedRequest, FakeScenario>? DefaultScenarioFor { get; set; }

    /// <summary>Answers requests carrying <paramref name="apiKey"/> with <paramref name="scenario"/>.</summary>
    public void SetScenario(string apiKey, FakeScenario scenario) => _scenarios[apiKey] = scenario;

    /// <summary>Every <c>count_tokens</c> request so far, in arrival order; they are not among <see cref="Requests"/>.</summary>
    public IReadOnlyList<RecordedRequest> TokenCountRequests
    {
        get { lock (_lock) return [.. _tokenCounts]; }
    }

    /// <summary>A snapshot of every request so far but token counts, rejected ones included, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_lock) return [.. _requests]; }
    }

    /// <summary>Drops the requests recorded so far (a long load run would otherwise keep them all).</summary>
    public void ForgetRequests()
    {
        lock (_lock)
        {
            _requests.Clear();
            _tokenCounts.Clear();
            _modelLists.Clear();
            _fileRequests.Clear();
        }
        _files.ForgetUploads(); // uploaded files stay usable by their ids
    }

    /// <summary>The requests that carried <paramref name="apiKey"/>, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> RequestsFor(string apiKey) => [.. Requests.Where(r => r.ApiKey == apiKey)];

    /// <summary>
    /// Completes with the first request matching <paramref name="match"/>, already recorded or arriving
    /// later (on arrival, not when its response ends); throws <see cref="TimeoutException"/> otherwise.
    /// </summary>
    public async Task<RecordedRequest> WaitForRequestAsync(Func<RecordedRequest, bool> match, TimeSpan timeout)
    {
        var waiter = (Match: match, Arrived: new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            if (_requests.FirstOrDefault(match) is { } recorded) return recorded;
            _waiters.Add(waiter);
        }
        try
        {
            return await waiter.Arrived.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            int count;
            lock (_lock)
            {
                _waiters.Remove(waiter);
                count = _requests.Count;
            }
            throw new TimeoutException($"No matching request reached the fake Anthropic server within {timeout} ({count} requests recorded).");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stopping cancels held and paced streams (see MessagesHandler), so this returns promptly.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        lock (_lock)
        {
            foreach (var (_, arrived) in _waiters) arrived.TrySetCanceled();
            _waiters.Clear();
        }
    }

    private FakeScenario ScenarioFor(RecordedRequest request) =>
        request.ApiKey is { } key && _scenarios.TryGetValue(key, out var scenario) ? scenario : DefaultScenarioFor?.Invoke(request) ?? DefaultScenario;

    private void Record(RecordedRequest request)
    {
        (Func<RecordedRequest, bool> Match, TaskCompletionSource<RecordedRequest> Arrived)[] matched;
        lock (_lock)
        {
            if (request.Path == MessagesHandler.CountTokensPath)
            {
                _tokenCounts.Add(request);
                return;
            }

            if (MessagesHandler.IsModelList(request))
            {
                _modelLists.Add(request);
                return;
            }

            if (FilesHandler.Handles(request.Path))
            {
                _fileRequests.Add(request);
                return;
            }

            _requests.Add(request);
            matched = [.. _waiters.Where(w => w.Match(request))];
            foreach (var waiter in matched) _waiters.Remove(waiter);
        }
        // Completed outside the lock; continuations run asynchronously anyway.
        foreach (var waiter in matched) waiter.Arrived.TrySetResult(request);
    }
}
