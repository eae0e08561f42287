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

    [Fact]
    public async Task AReplyIsOneGenAiActivityBetweenItsRequestAndItsAnthropicCallWithItsUsageCostAndMetrics()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Usage = new FakeUsage(45, 12, CacheCreation5mTokens: 100, CacheReadTokens: 1_000) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync(maxTokens: 700);

        using var response = await user.SendAsync(agentId, "Trace me", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);
        var traceId = events[0].Data.GetProperty("traceId").GetString();
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        var reply = app.Activities.Where(a => a.Source.Name == "CommandCenter.Replies" && (string?)a.GetTagItem("commandcenter.trace_id") == traceId).ShouldHaveSingleItem();
        reply.DisplayName.ShouldBe("chat claude-sonnet-4-6");
        reply.Kind.ShouldBe(ActivityKind.Client);
        var tags = reply.TagObjects.ToDictionary(t => t.Key, t => t.Value);
        tags["gen_ai.operation.name"].ShouldBe("chat");
        tags["gen_ai.provider.name"].ShouldBe("anthropic");
        tags["gen_ai.request.model"].ShouldBe("claude-sonnet-4-6");
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
        SumOf("commandcenter.reply.tokens", ("commandcenter.token.class", "cache_read")).ShouldBeGreaterThanOrEqualTo(1_000);
    }

    [Fact]
    public async Task ARefusedCallAndABudgetRefusalAreCounted()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { FailStatus = 529, FailErrorType = "overloaded_error", FailMessage = "Overloaded" });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();
        (await user.SendAsync(agentId, "Refused", ct: Ct)).Dispose();
        using var admin = await app.AdminAsync();
        (await System.Net.Http.Json.HttpClientJsonExtensions.PutAsJsonAsync(admin, $"/api/budgets/agent/{agentId}", new { monthlyLimit = 0.000001m }, Ct)).EnsureSuccessStatusCode();
        (await user.SendAsync(agentId, "Over budget", ct: Ct)).StatusCode.ShouldBe(System.Net.HttpStatusCode.PaymentRequired);
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        SumOf("commandcenter.upstream.errors", ("error.type", "overloaded_error")).ShouldBeGreaterThanOrEqualTo(1);
        SumOf("commandcenter.budget.refusals", ("commandcenter.budget.scope", "agent")).ShouldBeGreaterThanOrEqualTo(1);
        var refused = app.Activities.Last(a => a.Source.Name == "CommandCenter.Replies" && (string?)a.GetTagItem("error.type") == "overloaded_error");
        refused.Status.ShouldBe(ActivityStatusCode.Error);
    }

    /// <summary>The latest exported value of a counter of whole numbers, summed over the points carrying the attribute.</summary>
    private double SumOf(string metric, (string Key, string Value) attribute)
    {
        var total = 0d;
        foreach (var point in app.Metrics.Last(m => m.Name == metric).GetMetricPoints())
        {
            foreach (var tag in point.Tags)
            {
                if (tag.Key == attribute.Key && (string?)tag.Value == attribute.Value)
                {
                    total += point.GetSumLong();
                }
            }
        }

        return total;
    }
}
