using System.Security.Claims;
using CommandCenter.Services.Conversations;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Conversations;

internal static class ConversationsApi
{
    public static RouteGroupBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").RequireAuthorization(AuthPolicies.ApiOrIntegrationKey);
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

    private static async Task<Results<Ok<ConversationDetail>, ProblemHttpResult>> UpdateConversation(
        string id, ConversationUpdate request, ClaimsPrincipal user, ConversationStore store, CancellationToken ct) =>
        await store.UpdateAsync(user.UserId(), id, request, ct) ? TypedResults.Ok((await store.GetAsync(user.UserId(), id, ct))!) : NotFound(id);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteConversation(string id, ClaimsPrincipal user, ConversationStore store, CancellationToken ct) =>
        await store.DeleteAsync(user.UserId(), id, ct) ? TypedResults.NoContent() : NotFound(id);

    private static ProblemHttpResult NotFound(string id) => ApiProblems.Error(StatusCodes.Status404NotFound, $"Conversation with ID {id} not found");
}
