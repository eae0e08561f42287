using System.Diagnostics;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CommandCenter.E2E.Api;

/// <summary>The app with its telemetry exported to memory as well.</summary>
public sealed class TelemetryApp : CommandCenterApp
{
    public Exported<Activity> Activities { get; } = new();
    public Exported<Metric> Metrics { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Activities))
            .ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(Metrics));
}

/// <summary>
/// What an exporter wrote. Exporters add from the thread that ends a span (an HTTP request ends after its
/// client has read the last byte) or from the metric reader's timer, so reads take a copy under the lock.
/// </summary>
public sealed class Exported<T> : ICollection<T>
{
    private readonly List<T> items = [];

    public int Count { get { lock (items) { return items.Count; } } }

    public bool IsReadOnly => false;

    public T[] Snapshot() { lock (items) { return [.. items]; } }

    public void Add(T item) { lock (items) { items.Add(item); } }

    public void Clear() { lock (items) { items.Clear(); } }

    public bool Contains(T item) { lock (items) { return items.Contains(item); } }

    public void CopyTo(T[] array, int arrayIndex) { lock (items) { items.CopyTo(array, arrayIndex); } }

    public bool Remove(T item) { lock (items) { return items.Remove(item); } }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Snapshot()).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class TelemetryTests(TelemetryApp app) : IClassFixture<TelemetryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A model of this test's own, priced like Sonnet 4.6, and an agent on it. Meters and activity sources are
    /// process-wide, and other classes' apps run beside this one: only what carries this model or agent is this test's.
    /// </summary>
    private async Task<(string Model, string AgentId)> OwnModelAsync(int maxTokens = 512)
    {
        var model = $"claude-test-telemetry-{Guid.NewGuid():N}"[..40];
        using var admin = await app.AdminAsync();
        (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(admin, "/api/prices",
            new { model, inputPerMTok = 3m, cacheWrite5mPerMTok = 3.75m, cacheWrite1hPerMTok = 6m, cacheReadPerMTok = 0.3m, outputPerMTok = 15m }, Ct)).EnsureSuccessStatusCode();
        return (model, await app.CreateAgentAsync(model: model, maxTokens: maxTokens));
    }

    [Fact]
    public async Task AReplyIsOneGenAiActivityBetweenItsRequestAndItsAnthropicCallWithItsUsageCostAndMetrics()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Usage = new FakeUsage(45, 12, CacheCreation5mTokens: 100, CacheReadTokens: 1_000) });
        using var user = await app.NewUserAsync(apiKey: key);
        var (model, agentId) = await OwnModelAsync(maxTokens: 700);

        using var response = await user.SendAsync(agentId, "Trace me", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);
        var traceId = events[0].Data.GetProperty("traceId").GetString();
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        var reply = app.Activities.Where(a => a.Source.Name == "CommandCenter.Replies" && (string?)a.GetTagItem("commandcenter.trace_id") == traceId).ShouldHaveSingleItem();
        reply.DisplayName.ShouldBe($"chat {model}");
        reply.Kind.ShouldBe(ActivityKind.Client);
        var tags = reply.TagObjects.ToDictionary(t => t.Key, t => t.Value);
        tags["gen_ai.operation.name"].ShouldBe("chat");
        tags["gen_ai.provider.name"].ShouldBe("anthropic");
        tags["gen_ai.request.model"].ShouldBe(model);
        tags["gen_ai.request.max_tokens"].ShouldBe(700);
        ((string)tags["gen_ai.response.id"]!).ShouldStartWith("msg_");
        tags["gen_ai.response.finish_reasons"].ShouldBe(new[] { "end_turn" });
        tags["gen_ai.usage.input_tokens"].ShouldBe(1_145, "the conventions count cached input in input tokens");
        tags["gen_ai.usage.cache_read.input_tokens"].ShouldBe(1_000);
        tags["gen_ai.usage.cache_creation.input_tokens"].ShouldBe(100);
        tags["gen_ai.usage.output_tokens"].ShouldBe(12);
        // 45 × $3 + 100 × $3.75 + 1,000 × $0.30 + 12 × $15, per million.
        tags["commandcenter.cost_usd"].ShouldBe(0.00099);
        var cost = events.Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal();
        cost.ShouldBe(0.00099m);

        // Its parent is the HTTP request that sent the message (it ends once the client has read the stream); its child is the call to Anthropic.
        var request = (await Eventually.UntilAsync(
            () => Task.FromResult(app.Activities.SingleOrDefault(a => a.SpanId == reply.ParentSpanId)),
            found => found is not null,
            TimeSpan.FromSeconds(10))).ShouldNotBeNull();
        request.Kind.ShouldBe(ActivityKind.Server);
        request.GetTagItem("url.path").ShouldBe("/api/command-center/message");
        var upstream = app.Activities.Where(a => a.ParentSpanId == reply.SpanId).ShouldHaveSingleItem();
        upstream.Kind.ShouldBe(ActivityKind.Client);
        ((string?)upstream.GetTagItem("url.full")).ShouldNotBeNull().ShouldEndWith("/v1/messages");
        upstream.TagObjects.ShouldNotContain(t => t.Value is string && ((string)t.Value!).Contains(key), "the Anthropic key never reaches telemetry");

        string[] names = [.. app.Metrics.Select(m => m.Name)];
        names.ShouldContain("commandcenter.replies.live");
        names.ShouldContain("gen_ai.client.operation.duration");
        names.ShouldContain("commandcenter.reply.time_to_first_token");
        names.ShouldContain("commandcenter.reply.tokens");
        names.ShouldContain("commandcenter.reply.cost");
        SumOf("commandcenter.reply.tokens", ("commandcenter.token.class", "cache_read"), ("gen_ai.request.model", model)).ShouldBe(1_000);
    }

    [Fact]
    public async Task ARefusedCallAndABudgetRefusalAreCounted()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { FailStatus = 529, FailErrorType = "overloaded_error", FailMessage = "Overloaded" });
        using var user = await app.NewUserAsync(apiKey: key);
        var (model, agentId) = await OwnModelAsync();
        (await user.SendAsync(agentId, "Refused", ct: Ct)).Dispose();
        using var admin = await app.AdminAsync();
        (await System.Net.Http.Json.HttpClientJsonExtensions.PutAsJsonAsync(admin, $"/api/budgets/agent/{agentId}", new { monthlyLimit = 0.000001m }, Ct)).EnsureSuccessStatusCode();
        (await user.SendAsync(agentId, "Over budget", ct: Ct)).StatusCode.ShouldBe(System.Net.HttpStatusCode.PaymentRequired);
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        SumOf("commandcenter.upstream.errors", ("error.type", "overloaded_error"), ("gen_ai.request.model", model)).ShouldBe(1);
        SumOf("commandcenter.budget.refusals", ("commandcenter.budget.scope", "agent"), ("commandcenter.agent_id", agentId)).ShouldBe(1);
        var refused = app.Activities.Single(a => a.Source.Name == "CommandCenter.Replies" && (string?)a.GetTagItem("gen_ai.request.model") == model);
        refused.GetTagItem("error.type").ShouldBe("overloaded_error");
        refused.Status.ShouldBe(ActivityStatusCode.Error);
    }

    /// <summary>The latest exported value of a counter of whole numbers, summed over the points carrying every attribute.</summary>
    private double SumOf(string metric, params (string Key, string Value)[] attributes)
    {
        var total = 0d;
        foreach (var point in app.Metrics.Last(m => m.Name == metric).GetMetricPoints())
        {
            var tags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags)
            {
                tags[tag.Key] = tag.Value;
            }

            if (attributes.All(a => tags.TryGetValue(a.Key, out var value) && (string?)value == a.Value))
            {
                total += point.GetSumLong();
            }
        }

        return total;
    }
}
