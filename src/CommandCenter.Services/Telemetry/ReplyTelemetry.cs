using System.Diagnostics;
using System.Diagnostics.Metrics;
using CommandCenter.Services.Streaming;

namespace CommandCenter.Services.Telemetry;

/// <summary>
/// One activity per reply, named and tagged by the OpenTelemetry GenAI semantic conventions (plus our cost and trace
/// id), and the reply metrics. Recorded once at a reply's start and once at its end, never per chunk.
/// </summary>
public static class ReplyTelemetry
{
    public const string Name = "CommandCenter.Replies";

    private static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly UpDownCounter<int> LiveReplies = Meter.CreateUpDownCounter<int>(
        "commandcenter.replies.live", "{reply}", "Replies being written on this instance.");
    private static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram<double>(
        "commandcenter.reply.time_to_first_token", "s", "From the message arriving to the reply's first text.");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration", "s", "From the message arriving to the reply's end.");
    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>(
        "commandcenter.reply.tokens", "{token}", "Tokens by billing class: input, cache_creation, cache_read, output.");
    private static readonly Counter<double> Cost = Meter.CreateCounter<double>(
        "commandcenter.reply.cost", "USD", "What replies cost, by model and agent.");
    private static readonly Counter<long> UpstreamErrors = Meter.CreateCounter<long>(
        "commandcenter.upstream.errors", "{error}", "Anthropic refusals and broken streams, by error type.");
    private static readonly Counter<long> BudgetRefusals = Meter.CreateCounter<long>(
        "commandcenter.budget.refusals", "{refusal}", "Messages refused because a budget could not cover them, by budget scope.");

    /// <summary>Starts the reply's activity as the current one, so that the Anthropic call made next is its child.</summary>
    internal static Activity? Start(ReplyRows rows, int maxTokens)
    {
        var activity = Source.StartActivity($"chat {rows.Session.ModelUsed}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gen_ai.operation.name", "chat");
            activity.SetTag("gen_ai.provider.name", "anthropic");
            activity.SetTag("gen_ai.request.model", rows.Session.ModelUsed);
            activity.SetTag("gen_ai.request.max_tokens", maxTokens);
            activity.SetTag("commandcenter.trace_id", rows.Trace.Id);
            activity.SetTag("commandcenter.agent_id", rows.Session.AgentId);
        }

        return activity;
    }

    /// <summary>The registry runs the reply: it is live until <see cref="Ended"/>.</summary>
    internal static void Running() => LiveReplies.Add(1);

    /// <summary>The reply never started (refused, or its call failed); its activity ends with the reason.</summary>
    internal static void Refused(Activity? activity, Exception reason)
    {
        var errorType = reason switch
        {
            StreamStartException { UpstreamErrorType: { } upstream } => upstream,
            StreamStartException start => start.Failure.ToString(),
            _ => reason.GetType().Name,
        };
        if (reason is StreamStartException { Failure: StreamStartFailure.Upstream })
        {
            UpstreamErrors.Add(1, new KeyValuePair<string, object?>("error.type", errorType),
                new KeyValuePair<string, object?>("gen_ai.request.model", activity?.GetTagItem("gen_ai.request.model")));
        }

        activity?.SetTag("error.type", errorType);
        activity?.SetStatus(ActivityStatusCode.Error, reason.Message);
        activity?.Stop();
    }

    internal static void BudgetRefused(string scope, string agentId) => BudgetRefusals.Add(1,
        new KeyValuePair<string, object?>("commandcenter.budget.scope", scope), new KeyValuePair<string, object?>("commandcenter.agent_id", agentId));

    /// <summary>The reply ended and was recorded (or could not be): its usage, cost and outcome, once.</summary>
    internal static void Ended(Activity? activity, ReplyRows rows, ReplySnapshot end)
    {
        LiveReplies.Add(-1);
        // The whole reply: every call of a paused and continued turn.
        var usage = rows.TotalUsage;
        var model = new KeyValuePair<string, object?>("gen_ai.request.model", rows.Session.ModelUsed);
        Duration.Record(end.Duration.TotalSeconds, model);
        if (end.TimeToFirstToken is { } first)
        {
            TimeToFirstToken.Record(first.TotalSeconds, model);
        }

        foreach (var (tokenClass, count) in new[]
        {
            ("input", usage.InputTokens), ("cache_creation", usage.CacheWriteTokens), ("cache_read", usage.CacheReadTokens), ("output", usage.OutputTokens),
        })
        {
            Tokens.Add(count, model, new KeyValuePair<string, object?>("commandcenter.token.class", tokenClass));
        }

        Cost.Add((double)rows.Trace.TotalCost, model, new KeyValuePair<string, object?>("commandcenter.agent_id", rows.Session.AgentId));
        if (end.Outcome == ReplyOutcome.Failed)
        {
            UpstreamErrors.Add(1, new KeyValuePair<string, object?>("error.type", "stream_failed"), model);
        }

        if (activity is null)
        {
            return;
        }

        activity.SetTag("gen_ai.response.id", end.UpstreamMessageId);
        activity.SetTag("gen_ai.response.finish_reasons", end.StopReason is { } reason ? new[] { reason } : null);
        // Per the conventions, input tokens include the cached ones; the classes are also given apart.
        activity.SetTag("gen_ai.usage.input_tokens", usage.InputTokens + usage.CacheWriteTokens + usage.CacheReadTokens);
        activity.SetTag("gen_ai.usage.cache_read.input_tokens", usage.CacheReadTokens);
        activity.SetTag("gen_ai.usage.cache_creation.input_tokens", usage.CacheWriteTokens);
        activity.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
        activity.SetTag("commandcenter.cost_usd", (double)rows.Trace.TotalCost);
        activity.SetTag("commandcenter.cost_estimated", end.OutputEstimated);
        activity.SetTag("commandcenter.outcome", end.Outcome.ToString().ToLowerInvariant());
        if (end.Outcome == ReplyOutcome.Failed)
        {
            activity.SetTag("error.type", "stream_failed");
            activity.SetStatus(ActivityStatusCode.Error, end.Error);
        }

        activity.Stop();
    }
}
