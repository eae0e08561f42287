using System.Security.Claims;
using CommandCenter.Services.Conversations;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Conversations;

internal sealed record UpdateConversationRequest(string? Title, bool? Archived);

internal static class ConversationsApi
{
    public static RouteGroupBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").RequireAuthorization(AuthPolicies.Api);
        api.MapGet("/", ListConversations);
        api.MapGet("/{id}", GetConversation);
        api.MapPatch("/{id}", UpdateConversation);
        api.MapDelete("/{id}", DeleteConversation);
        return api;
    }

    private static async Task<Ok<ConversationPage>> ListConversations(
        ClaimsPrincipal user, ConversationStore store, int? page, int? pageSize, string? search, bool? archived, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(user.UserId(), page ?? 1, pageSize ?? 30, search, archived ?? false, ct));

    private static async Task<Results<Ok<ConversationDetail>, ProblemHttpResult>> GetConversation(string id, ClaimsPrincipal user, ConversationStore store, CancellationToken ct) =>
        await store.GetAsync(user.UserId(), id, ct) is { } detail ? TypedResults.Ok(detail) : NotFound(id);

    private static async Task<Results<Ok<ConversationDetail>, ValidationProblem, ProblemHttpResult>> UpdateConversation(
        string id, UpdateConversationRequest request, ClaimsPrincipal user, ConversationStore store, CancellationToken ct)
    {
        if (request.Title is { } title && (string.IsNullOrWhiteSpace(title) || title.Trim().Length > ConversationStore.MaxTitleLength))
        {
            return ApiProblems.Validation(new Dictionary<string, string[]> { ["title"] = [$"The title must be 1 to {ConversationStore.MaxTitleLength} characters."] });
        }

        if (!await store.UpdateAsync(user.UserId(), id, request.Title, request.Archived, ct))
        {
            return NotFound(id);
        }

        return TypedResults.Ok((await store.GetAsync(user.UserId(), id, ct))!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteConversation(string id, ClaimsPrincipal user, ConversationStore store, CancellationToken ct) =>
        await store.DeleteAsync(user.UserId(), id, ct) ? TypedResults.NoContent() : NotFound(id);

    private static ProblemHttpResult NotFound(string id) => ApiProblems.Error(StatusCodes.Status404NotFound, $"Conversation with ID {id} not found");
}
