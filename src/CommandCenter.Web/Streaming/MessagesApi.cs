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

/// <summary>The body of <c>POST …/messages/{id}/edit</c>: the last question as it should have been.</summary>
internal sealed record EditMessageRequest(string? Message);

internal static class MessagesApi
{
    public static RouteGroupBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/command-center").RequireAuthorization(AuthPolicies.ApiOrIntegrationKey);
        api.MapPost("/message", SendMessage);
        api.MapGet("/messages/{messageId}/events", ResumeReply);
        api.MapPost("/messages/{messageId}/stop", StopReply);
        api.MapPost("/messages/{messageId}/regenerate", (string messageId, ClaimsPrincipal user, ReplyService replies, IOptions<StreamingOptions> options, CancellationToken ct) =>
            StartAgain(() => replies.RegenerateAsync(user.UserId(), messageId, user.IntegrationKey(), ct), options));
        api.MapPost("/messages/{messageId}/edit", (string messageId, EditMessageRequest? request, ClaimsPrincipal user, ReplyService replies, IOptions<StreamingOptions> options, CancellationToken ct) =>
            StartAgain(() => replies.EditAsync(user.UserId(), messageId, request?.Message, user.IntegrationKey(), ct), options));
        api.MapPost("/messages/{messageId}/choose", Choose);
        return api;
    }

    /// <summary>The last turn made again (regenerated or edited), streamed as <c>/message</c> streams a reply.</summary>
    private static async Task<IResult> StartAgain(Func<Task<LiveReply>> start, IOptions<StreamingOptions> options)
    {
        try
        {
            var reply = await start();
            return new ServerSentEventsStreamResult(reply.WatchAsync(), options.Value.HeartbeatInterval);
        }
        catch (StreamStartException e)
        {
            return ToProblem(e);
        }
    }

    /// <summary>Makes one of the last question's replies, or one of its versions, the one the conversation goes on from.</summary>
    private static async Task<IResult> Choose(string messageId, ClaimsPrincipal user, ConversationStore conversations, CancellationToken ct)
    {
        try
        {
            return await conversations.ChooseAsync(user.UserId(), messageId, ct)
                ? TypedResults.NoContent()
                : ApiProblems.Error(StatusCodes.Status404NotFound, $"Message with ID {messageId} not found");
        }
        catch (StreamStartException e)
        {
            return ToProblem(e);
        }
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

    /// <summary>
    /// The events after <c>Last-Event-ID</c> (or <c>?after=N</c>), then the rest live; never a second upstream call.
    /// A reply running on another instance is followed through it (<see cref="ReplyRelay"/>).
    /// </summary>
    private static async Task<IResult> ResumeReply(
        string messageId, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, long? after,
        ClaimsPrincipal user, WatchedReplies replies, ConversationStore conversations, IOptions<StreamingOptions> options, CancellationToken ct)
    {
        var (from, field) = ResumePoint(lastEventId, after);
        if (await replies.FindAsync(user.UserId(), messageId, ct) is not { } reply || await reply.WatchAsync(from, ct) is not { } watch)
        {
            return await NotLiveAsync(messageId, user, conversations, options, ct);
        }

        if (from > watch.LastEventId)
        {
            await using var _ = watch.Owner;
            throw InvalidInputException.For(field, $"This reply has no event {from} yet; its last is {watch.LastEventId}.");
        }

        return new ServerSentEventsStreamResult(watch.Events, options.Value.HeartbeatInterval) { Owner = watch.Owner };
    }

    private static (long From, string Field) ResumePoint(string? lastEventId, long? after)
    {
        if (lastEventId is not null)
        {
            return long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                ? (from, "Last-Event-ID")
                : throw InvalidInputException.For("Last-Event-ID", "Last-Event-ID must be the number of an event of this reply.");
        }

        return after is < 0
            ? throw InvalidInputException.For("after", "after must be 0 or the number of an event of this reply.")
            : (after ?? 0, "after");
    }

    /// <summary>Stops one of the caller's live replies, here or on another instance, and answers with how it ended (or 202 if it has not yet).</summary>
    private static async Task<IResult> StopReply(
        string messageId, ClaimsPrincipal user, WatchedReplies replies, ConversationStore conversations, IOptions<StreamingOptions> options, CancellationToken ct) =>
        await replies.FindAsync(user.UserId(), messageId, ct) is { } reply && await reply.StopAsync(ct) is { } stopped
            ? stopped switch
            {
                { AlreadyEnded: true } => AlreadyEnded(stopped.Status),
                { Finished: true } => TypedResults.Ok(new StopReplyResponse(messageId, stopped.Status)),
                // Stopped, but its end is still being recorded (the database is slow or away): it will be.
                _ => TypedResults.Accepted((string?)null, new StopReplyResponse(messageId, stopped.Status)),
            }
            : await NotLiveAsync(messageId, user, conversations, options, ct);

    private static IResult AlreadyEnded(string status) =>
        ApiProblems.Error(StatusCodes.Status409Conflict, $"The reply has already ended ({status}).", new Dictionary<string, object?> { ["messageStatus"] = status });

    /// <summary>404 for a message that is not the caller's; 410 for one whose reply is no longer live on any instance.</summary>
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
        StreamStartFailure.NoAnthropicKey or StreamStartFailure.AccountDisabled => ApiProblems.Error(StatusCodes.Status403Forbidden, e.Message),
        StreamStartFailure.AgentNotFound or StreamStartFailure.ConversationNotFound => ApiProblems.Error(StatusCodes.Status404NotFound, e.Message),
        StreamStartFailure.AgentInactive => ApiProblems.Error(StatusCodes.Status400BadRequest, e.Message),
        StreamStartFailure.ConversationBusy => ApiProblems.Error(StatusCodes.Status409Conflict, e.Message),
        StreamStartFailure.ModelRetired => ApiProblems.Error(StatusCodes.Status409Conflict, e.Message, new Dictionary<string, object?>
        {
            ["model"] = e.Model,
            ["replacement"] = e.Replacement,
        }),
        StreamStartFailure.Unavailable => new WithRetryAfter(ApiProblems.Error(StatusCodes.Status503ServiceUnavailable, e.Message), e.RetryAfter ?? TimeSpan.FromSeconds(5)),
        StreamStartFailure.BudgetExceeded => ApiProblems.Error(StatusCodes.Status402PaymentRequired, e.Message, new Dictionary<string, object?>
        {
            ["budget"] = e.Budget,
        }),
        StreamStartFailure.RateLimited => new WithRetryAfter(ApiProblems.Error(StatusCodes.Status429TooManyRequests, e.Message), e.RetryAfter ?? TimeSpan.FromSeconds(5)),
        // Anthropic's "slow down" keeps its family and its retry-after: a client waits and tries again instead of giving up.
        StreamStartFailure.Upstream when e.UpstreamStatus is StatusCodes.Status429TooManyRequests =>
            new WithRetryAfter(UpstreamProblem(StatusCodes.Status429TooManyRequests, e), e.RetryAfter ?? TimeSpan.FromSeconds(5)),
        StreamStartFailure.Upstream when e.UpstreamStatus is 529 or StatusCodes.Status503ServiceUnavailable =>
            new WithRetryAfter(UpstreamProblem(StatusCodes.Status503ServiceUnavailable, e), e.RetryAfter ?? TimeSpan.FromSeconds(5)),
        _ => UpstreamProblem(StatusCodes.Status500InternalServerError, e),
    };

    private static IResult UpstreamProblem(int status, StreamStartException e) => ApiProblems.Error(status, e.Message, new Dictionary<string, object?>
    {
        ["upstreamStatus"] = e.UpstreamStatus,
        ["upstreamErrorType"] = e.UpstreamErrorType,
        ["taskTraceId"] = e.TraceId,
    });

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
