using System.Security.Claims;
using CommandCenter.Services.Streaming;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.Extensions.Options;

namespace CommandCenter.Web.Streaming;

internal static class CommandCenterApi
{
    public static RouteGroupBuilder MapCommandCenterApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/command-center").RequireAuthorization(AuthPolicies.Api);
        api.MapPost("/message", SendMessage).RequireRateLimiting(MessageRateLimit.Policy);
        return api;
    }

    /// <summary>Starts the reply (refusals become status codes), then streams its events as SSE.</summary>
    private static async Task<IResult> SendMessage(
        SendMessageRequest? request, ClaimsPrincipal user, MessageStreamService service, IOptions<StreamingOptions> options, HttpContext http, CancellationToken ct)
    {
        MessageStream stream;
        try
        {
            stream = await service.StartAsync(user.UserId(), request ?? new SendMessageRequest(null, null, null), ct);
        }
        catch (StreamStartException e)
        {
            return ToProblem(e);
        }

        // Settles the trace as cancelled even if the client is gone before the first event is written.
        http.Response.RegisterForDisposeAsync(stream);
        return new ServerSentEventsStreamResult(stream, options.Value.HeartbeatInterval);
    }

    private static IResult ToProblem(StreamStartException e) => e.Failure switch
    {
        StreamStartFailure.Invalid => ApiProblems.Validation(e.Errors),
        StreamStartFailure.NoApiKey => ApiProblems.Error(StatusCodes.Status403Forbidden, e.Message),
        StreamStartFailure.AgentNotFound or StreamStartFailure.ConversationNotFound => ApiProblems.Error(StatusCodes.Status404NotFound, e.Message),
        StreamStartFailure.AgentInactive => ApiProblems.Error(StatusCodes.Status400BadRequest, e.Message),
        StreamStartFailure.ConversationBusy => ApiProblems.Error(StatusCodes.Status409Conflict, e.Message),
        _ => ApiProblems.Error(StatusCodes.Status500InternalServerError, e.Message, new Dictionary<string, object?>
        {
            ["upstreamStatus"] = e.UpstreamStatus,
            ["upstreamErrorType"] = e.UpstreamErrorType,
            ["taskTraceId"] = e.TraceId,
        }),
    };
}
