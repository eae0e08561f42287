using CommandCenter.Services.Streaming;

namespace CommandCenter.Web.Streaming;

/// <summary>
/// Before the server takes requests, one message's path is run through (its reads, the stream and reply readers, a broadcast and
/// the SSE writer), so that the first message after a start or deploy answers about as fast as the next ones.
/// </summary>
internal sealed partial class WarmUp(MessagePathWarmUp messagePath, ILogger<WarmUp> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            var events = await messagePath.RunAsync(ct);
            var http = new DefaultHttpContext();
            http.Response.Body = Stream.Null;
            await new ServerSentEventsStreamResult(events.ToAsyncEnumerable(), TimeSpan.FromMinutes(1)).ExecuteAsync(http);
            LogWarmedUp(logger, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Only speed is at stake: start anyway.
            LogWarmUpFailed(logger, e);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed up the message path in {Milliseconds:0} ms")]
    private static partial void LogWarmedUp(ILogger logger, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming up the message path failed; the first message will be slower")]
    private static partial void LogWarmUpFailed(ILogger logger, Exception exception);
}
