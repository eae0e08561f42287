using System.Globalization;
using System.Security.Claims;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Streaming;
using CommandCenter.Services.Validation;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using CommandCenter.Web.IntegrationKeys;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Streaming;

internal sealed record StopReplyResponse(string MessageId, string Status);

internal static class CommandCenterApi
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    public static RouteGroupBuilder MapCommandCenterApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/command-center").RequireAuthorization(AuthPolicies.ApiOrIntegrationKey);
        api.MapPost("/message", SendMessage);
        api.MapGet("/messages/{messageId}/events", ResumeReply);
        api.MapPost("/messages/{messageId}/stop", StopReply);
        return api;
    }

    /// <summary>Starts the reply (refusals become status codes), then streams its events as SSE while the client watches.</summary>
    private static async Task<IResult> SendMessage(
        SendMessageRequest? request, ClaimsPrincipal user, ReplyService replies, IOptions<StreamingOptions> options, CancellationToken ct)
    {
        try
        {
            var reply = await replies.StartAsync(user.UserId(), request ?? new SendMessageRequest(null, null, null), user.IntegrationKey(), ct);
            return new ServerSentEventsStreamResult(reply.WatchAsync(), options.Value.HeartbeatInterval);
        }
        catch (StreamStartException e)
        {
            return ToProblem(e);
        }
    }

    /// <summary>The events after <c>Last-Event-ID</c> (or <c>?after=N</c>), then the rest live; never a second upstream call.</summary>
    private static async Task<IResult> ResumeReply(
        string messageId, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, long? after,
        ClaimsPrincipal user, LiveReplies live, ConversationStore conversations, IOptions<StreamingOptions> options, CancellationToken ct)
    {
        long from;
        if (lastEventId is not null)
        {
            if (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out from))
            {
                throw InvalidInputException.For("Last-Event-ID", "Last-Event-ID must be the number of an event of this reply.");
            }
        }
        else if (after is < 0)
        {
            throw InvalidInputException.For("after", "after must be 0 or the number of an event of this reply.");
        }
        else
        {
            from = after ?? 0;
        }

        if (live.Find(user.UserId(), messageId) is not { } reply)
        {
            return await NotLiveAsync(messageId, user, conversations, options, ct);
        }

        if (from > reply.LastEventId)
        {
            throw InvalidInputException.For(lastEventId is null ? "after" : "Last-Event-ID", $"This reply has no event {from} yet; its last is {reply.LastEventId}.");
        }

        return new ServerSentEventsStreamResult(reply.WatchAsync(from), options.Value.HeartbeatInterval);
    }

    /// <summary>Stops one of the caller's live replies and answers with how it ended (or 202 if it has not yet).</summary>
    private static async Task<IResult> StopReply(
        string messageId, ClaimsPrincipal user, LiveReplies live, ConversationStore conversations, IOptions<StreamingOptions> options, CancellationToken ct)
    {
        var reply = live.Find(user.UserId(), messageId);
        if (reply is null || reply.IsFinished)
        {
            return reply is null
                ? await NotLiveAsync(messageId, user, conversations, options, ct)
                : ApiProblems.Error(StatusCodes.Status409Conflict, $"The reply has already ended ({reply.Status}).", new Dictionary<string, object?> { ["messageStatus"] = reply.Status });
        }

        reply.Stop();
        try
        {
            await reply.Finished.WaitAsync(StopWait, ct);
            return TypedResults.Ok(new StopReplyResponse(messageId, reply.Status));
        }
        catch (TimeoutException)
        {
            // Stopped, but its end is still being recorded (the database is slow or away): it will be.
            return TypedResults.Accepted((string?)null, new StopReplyResponse(messageId, reply.Status));
        }
    }

    /// <summary>404 for a message that is not the caller's; 410 for one whose reply is no longer live here.</summary>
    private static async Task<IResult> NotLiveAsync(
        string messageId, ClaimsPrincipal user, ConversationStore conversations, IOptions<StreamingOptions> options, CancellationToken ct)
    {
        if (await conversations.FindMessageAsync(user.UserId(), messageId, ct) is not { } stored)
        {
            return ApiProblems.Error(StatusCodes.Status404NotFound, $"Message with ID {messageId} not found");
        }

        var kept = options.Value.UnwatchedGrace.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        return ApiProblems.Error(
            StatusCodes.Status410Gone,
            $"This reply is not live: its events are kept for {kept} s after it ends. The stored message ({stored.Status}) is in GET /api/conversations/{stored.ConversationId}.",
            new Dictionary<string, object?> { ["messageStatus"] = stored.Status, ["conversationId"] = stored.ConversationId });
    }

    private static IResult ToProblem(StreamStartException e) => e.Failure switch
    {
        StreamStartFailure.NoApiKey or StreamStartFailure.AccountDisabled => ApiProblems.Error(StatusCodes.Status403Forbidden, e.Message),
        StreamStartFailure.AgentNotFound or StreamStartFailure.ConversationNotFound => ApiProblems.Error(StatusCodes.Status404NotFound, e.Message),
        StreamStartFailure.AgentInactive => ApiProblems.Error(StatusCodes.Status400BadRequest, e.Message),
        StreamStartFailure.ConversationBusy => ApiProblems.Error(StatusCodes.Status409Conflict, e.Message),
        StreamStartFailure.Unavailable => new WithRetryAfter(ApiProblems.Error(StatusCodes.Status503ServiceUnavailable, e.Message), e.RetryAfter ?? TimeSpan.FromSeconds(5)),
        StreamStartFailure.BudgetExceeded => ApiProblems.Error(StatusCodes.Status402PaymentRequired, e.Message, new Dictionary<string, object?>
        {
            ["budget"] = e.Budget,
        }),
        StreamStartFailure.RateLimited => new WithRetryAfter(ApiProblems.Error(StatusCodes.Status429TooManyRequests, e.Message), e.RetryAfter ?? TimeSpan.FromSeconds(5)),
        _ => ApiProblems.Error(StatusCodes.Status500InternalServerError, e.Message, new Dictionary<string, object?>
        {
            ["upstreamStatus"] = e.UpstreamStatus,
            ["upstreamErrorType"] = e.UpstreamErrorType,
            ["taskTraceId"] = e.TraceId,
        }),
    };

    /// <summary>Adds <c>Retry-After</c> to another result.</summary>
    private sealed class WithRetryAfter(IResult inner, TimeSpan delay) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            RetryAfter.Set(http.Response, delay);
            return inner.ExecuteAsync(http);
        }
    }
}
