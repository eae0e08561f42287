using CommandCenter.Services.Agents;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommandCenter.Web.Agents;

internal static class AgentsApi
{
    public static RouteGroupBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/agents").RequireAuthorization(AuthPolicies.ApiOrIntegrationKey);
        api.MapGet("/", ListAgents);
        api.MapGet("/{id}", GetAgent);
        api.MapPost("/", CreateAgent).RequireAuthorization(AuthPolicies.ApiAdmin);
        api.MapPut("/{id}", UpdateAgent).RequireAuthorization(AuthPolicies.ApiAdmin);
        api.MapDelete("/{id}", DeleteAgent).RequireAuthorization(AuthPolicies.ApiAdmin);
        api.MapPost("/{id}/move", MoveAgent).RequireAuthorization(AuthPolicies.ApiAdmin);
        return api;
    }

    /// <param name="status">ACTIVE or INACTIVE to filter; all agents otherwise.</param>
    private static async Task<Ok<IReadOnlyList<AgentView>>> ListAgents(AgentCatalog agents, string? status, CancellationToken ct)
    {
        var all = await agents.ListAsync(ct: ct);
        return TypedResults.Ok(status is null ? all : (IReadOnlyList<AgentView>)[.. all.Where(a => string.Equals(a.Status, status, StringComparison.OrdinalIgnoreCase))]);
    }

    private static async Task<Results<Ok<AgentView>, ProblemHttpResult>> GetAgent(string id, AgentCatalog agents, CancellationToken ct) =>
        await agents.FindAsync(id, ct) is { } agent ? TypedResults.Ok(agent) : NotFound(id);

    /// <remarks>Input a rule refuses is a 400 per field (<see cref="ApiExceptionHandler"/>), here as on every endpoint.</remarks>
    private static async Task<Created<AgentView>> CreateAgent(AgentInput input, AgentCatalog agents, CancellationToken ct)
    {
        var agent = await agents.CreateAsync(input, ct);
        return TypedResults.Created($"/api/agents/{agent.Id}", agent);
    }

    private static async Task<Results<Ok<AgentView>, ProblemHttpResult>> UpdateAgent(string id, AgentInput input, AgentCatalog agents, CancellationToken ct) =>
        await agents.UpdateAsync(id, input, ct) is { } agent ? TypedResults.Ok(agent) : NotFound(id);

    /// <summary>Moves the agent to another model (default: its model's replacement); settings the new model refuses are carried to the nearest it takes.</summary>
    private static async Task<Results<Ok<AgentMove>, ProblemHttpResult>> MoveAgent(string id, MoveAgentRequest? request, AgentCatalog agents, CancellationToken ct) =>
        await agents.MoveAsync(id, string.IsNullOrWhiteSpace(request?.Model) ? null : request.Model.Trim(), ct) is { } moved ? TypedResults.Ok(moved) : NotFound(id);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAgent(string id, AgentCatalog agents, CancellationToken ct) =>
        await agents.DeleteAsync(id, ct) switch
        {
            AgentDeleteResult.Deleted => TypedResults.NoContent(),
            AgentDeleteResult.NotFound => NotFound(id),
            _ => ApiProblems.Error(StatusCodes.Status409Conflict, "This agent has conversations or traces; set its status to INACTIVE instead of deleting it."),
        };

    private static ProblemHttpResult NotFound(string id) => ApiProblems.Error(StatusCodes.Status404NotFound, $"Agent with ID {id} not found");
}

/// <summary>The model to move an agent to; none: the one Anthropic recommends instead of its current model.</summary>
internal sealed record MoveAgentRequest(string? Model);
