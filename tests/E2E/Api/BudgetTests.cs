using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using CommandCenter.Services.Traces;
using Microsoft.Extensions.DependencyInjection;

namespace CommandCenter.E2E.Api;

/// <summary>The app with room for 20 live replies of one user, so that only budgets refuse.</summary>
public sealed class BudgetApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("RateLimits:ConcurrentRepliesPerUser", "100"),
    ];
}

public sealed class BudgetTests(BudgetApp app) : IClassFixture<BudgetApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // An agent on claude-haiku-4-5 ($1 in / $5 out) with max tokens 1000 and the 9-character prompt "Be brief.", sent a
    // 5-character message: 14 characters ≈ ceil(14 / 3) = 5 input tokens, priced as 5-minute cache writes (1.25 × $1/M),
    // plus 1000 output tokens at $5/M: 0.00000625 + 0.005 = $0.005006 reserved per message.
    private const decimal WorstCase = 0.005006m;

    private async Task<string> BriefHaikuAgentAsync() => await app.CreateAgentAsync(model: "claude-haiku-4-5", systemPrompt: "Be brief.", maxTokens: 1000);

    private async Task<HttpResponseMessage> SetBudgetAsync(HttpClient admin, string scope, string subjectId, decimal limit) =>
        await admin.PutAsJsonAsync($"/api/budgets/{scope}/{subjectId}", new { monthlyLimit = limit }, Ct);

    [Fact]
    public async Task TwentyConcurrentRequestsAgainstABudgetNeverExceedIt()
    {
        var hold = new TaskCompletionSource();
        var key = CommandCenterApp.NewApiKey();
        // Every reply waits after its first chunk until all 20 requests have been answered: none settles early to make room.
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Short ", "reply."], HoldAfterChunks = 1, HoldUntil = hold.Task, Usage = new FakeUsage(12, 4) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await BriefHaikuAgentAsync();
        using var admin = await app.AdminAsync();
        const decimal Limit = 0.0251m; // five worst cases (0.02503) fit, six (0.030036) do not
        (await SetBudgetAsync(admin, "user", user.Id, Limit)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => user.SendAsync(agentId, $"Hi {i:00}", ct: Ct)));
        try
        {
            responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(5);
            var refused = responses.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
            refused.Select(r => r.StatusCode).Distinct().ShouldBe([HttpStatusCode.PaymentRequired]);
            var problem = await refused[0].Content.ReadFromJsonAsync<JsonElement>(Ct);
            problem.GetProperty("error").GetString()!.ShouldStartWith("Over budget: Your monthly budget of $0.0251 has $0.00007 left");
            problem.GetProperty("budget").GetProperty("worstCase").GetDecimal().ShouldBe(WorstCase);
            problem.GetProperty("budget").GetProperty("remaining").GetDecimal().ShouldBe(Limit - 5 * WorstCase);

            var reserved = await app.Database.SingleAsync("SELECT count(*)::int AS n, sum(amount) AS total FROM budget_charges WHERE \"subjectId\" = $1 AND NOT settled", user.Id);
            reserved["n"].ShouldBe(5);
            reserved["total"].ShouldBe(5 * WorstCase);
        }
        finally
        {
            hold.SetResult();
        }

        foreach (var response in responses.Where(r => r.IsSuccessStatusCode))
        {
            (await SseReader.ReadAllAsync(response, Ct)).Last().Type.ShouldBe("done");
        }

        // Settled: each charge is its reply's real cost (12 in + 4 out on Haiku = $0.000032), the reservations are gone.
        var traces = await app.Database.QueryAsync("SELECT id, \"totalCost\" FROM task_trace WHERE \"ownerId\" = $1", user.Id);
        traces.Count.ShouldBe(5, "a refused message writes nothing");
        var charges = await app.Database.QueryAsync("SELECT \"traceId\", amount, settled FROM budget_charges WHERE \"subjectId\" = $1", user.Id);
        charges.ShouldAllBe(c => (bool)c["settled"]!);
        charges.Select(c => ((string)c["traceId"]!, (decimal)c["amount"]!)).Order()
            .ShouldBe(traces.Select(t => ((string)t["id"]!, (decimal)t["totalCost"]!)).Order());
        charges.Sum(c => (decimal)c["amount"]!).ShouldBe(5 * 0.000032m);

        var budget = (await admin.GetFromJsonAsync<JsonElement>("/api/budgets", Ct)).EnumerateArray().Single(b => b.GetProperty("subjectId").GetString() == user.Id);
        budget.GetProperty("spent").GetDecimal().ShouldBe(0.00016m);
        budget.GetProperty("reserved").GetDecimal().ShouldBe(0m);
        budget.GetProperty("remaining").GetDecimal().ShouldBe(Limit - 0.00016m);
        budget.GetProperty("subjectName").GetString().ShouldBe(user.Email);
    }

    [Fact]
    public async Task AnAgentThatSearchesReservesItsMostSearchesOnTopOfItsTokens()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = $"Searcher {Guid.NewGuid():N}", model = "claude-haiku-4-5", systemPrompt = "Be brief.", maxTokens = 1000,
            webSearch = new { enabled = true, maxUses = 3 },
        }, Ct);
        var agentId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        // The tokens' worst case fits; with three searches at $10 per 1,000 it does not.
        (await SetBudgetAsync(admin, "user", user.Id, 0.02m)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var response = await user.SendAsync(agentId, "Hello", ct: Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.PaymentRequired);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("budget").GetProperty("worstCase").GetDecimal().ShouldBe(WorstCase + 0.03m);
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
    }

    [Fact]
    public async Task AnAgentsBudgetRefusesBeforeAnthropicIsCalledAndWritesNothing()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await BriefHaikuAgentAsync();
        using var admin = await app.AdminAsync();
        (await SetBudgetAsync(admin, "agent", agentId, 0.005m)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var response = await user.SendAsync(agentId, "Hello", ct: Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.PaymentRequired);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("error").GetString()!.ShouldContain("'s monthly budget of $0.005 has $0.005 left");
        problem.GetProperty("budget").GetProperty("scope").GetString().ShouldBe("agent");
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
        (await app.Database.QueryAsync("SELECT 1 FROM task_trace WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();
        (await app.Database.QueryAsync("SELECT 1 FROM budget_charges WHERE \"subjectId\" = $1", agentId)).ShouldBeEmpty();

        // Raised, the same message goes through: the budget is read fresh, not from a stale cache.
        (await SetBudgetAsync(admin, "agent", agentId, 1m)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var allowed = await user.SendAsync(agentId, "Hello", ct: Ct);
        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
        await SseReader.ReadAllAsync(allowed, Ct);
    }

    [Fact]
    public async Task ACallAnthropicRefusesGivesItsReservationBack()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { FailStatus = 529, FailErrorType = "overloaded_error", FailMessage = "Overloaded" });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await BriefHaikuAgentAsync();
        using var admin = await app.AdminAsync();
        (await SetBudgetAsync(admin, "user", user.Id, 1m)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var response = await user.SendAsync(agentId, "Hello", ct: Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "Anthropic overloaded");
        var charge = await app.Database.SingleAsync("SELECT amount, settled FROM budget_charges WHERE \"subjectId\" = $1", user.Id);
        charge["settled"].ShouldBe(true);
        charge["amount"].ShouldBe(0m);
        var budget = (await admin.GetFromJsonAsync<JsonElement>("/api/budgets", Ct)).EnumerateArray().Single(b => b.GetProperty("subjectId").GetString() == user.Id);
        budget.GetProperty("remaining").GetDecimal().ShouldBe(1m);
    }

    [Fact]
    public async Task AReplyThatFailsMidwayIsChargedWhatItWasBilled()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["One ", "two ", "three"], ErrorAfterChunks = 2, Usage = new FakeUsage(100, 10) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await BriefHaikuAgentAsync();
        using var admin = await app.AdminAsync();
        (await SetBudgetAsync(admin, "user", user.Id, 1m)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var response = await user.SendAsync(agentId, "Hello", ct: Ct);
        (await SseReader.ReadAllAsync(response, Ct)).Last().Type.ShouldBe("error");

        var trace = await app.Database.SingleAsync("SELECT id, status, \"totalCost\" FROM task_trace WHERE \"ownerId\" = $1", user.Id);
        trace["status"].ShouldBe("failed");
        var charge = await app.Database.SingleAsync("SELECT amount, settled FROM budget_charges WHERE \"traceId\" = $1", trace["id"]!);
        charge["settled"].ShouldBe(true);
        charge["amount"].ShouldBe(trace["totalCost"]);
        ((decimal)charge["amount"]!).ShouldBeGreaterThan(0m, "the input Anthropic reported at the start was billed");
    }

    [Fact]
    public async Task BudgetsAreForAdminsAndBadInputIsRefused()
    {
        using var user = await app.NewUserAsync();
        var agentId = await BriefHaikuAgentAsync();
        using var admin = await app.AdminAsync();

        (await user.Client.GetAsync("/api/budgets", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await SetBudgetAsync(user.Client, "user", user.Id, 100m)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var badScope = await SetBudgetAsync(admin, "team", user.Id, 1m);
        badScope.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await badScope.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("scope")[0].GetString().ShouldBe("A budget is per user, agent or apiKey; \"team\" is none of these.");
        (await SetBudgetAsync(admin, "user", user.Id, -1m)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await SetBudgetAsync(admin, "user", user.Id, 0m)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.PutAsJsonAsync($"/api/budgets/user/{user.Id}", new { }, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await SetBudgetAsync(admin, "user", agentId, 1m)).StatusCode.ShouldBe(HttpStatusCode.NotFound, "an agent's id is not a user");
        (await app.Database.QueryAsync("SELECT 1 FROM budgets WHERE \"subjectId\" IN ($1, $2)", user.Id, agentId)).ShouldBeEmpty();

        (await SetBudgetAsync(admin, "agent", agentId, 2.5m)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var updated = await SetBudgetAsync(admin, "agent", agentId, 3m);
        (await updated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("monthlyLimit").GetDecimal().ShouldBe(3m);
        (await admin.DeleteAsync($"/api/budgets/agent/{agentId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.DeleteAsync($"/api/budgets/agent/{agentId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ReservationsLeftOpenByADeadInstanceAreSettledAtTheNextStart()
    {
        var lease = app.Services.GetRequiredService<InstanceLease>();
        using var user = await app.NewUserAsync();
        await InsertOpenChargeAsync("trace-of-a-dead-instance", user.Id, instanceKey: 535353);
        await InsertOpenChargeAsync("trace-of-this-instance", user.Id, instanceKey: lease.Key);

        await using (var other = app.StartAnotherInstance())
        {
            await other.Logs.WaitForAsync(line => line.Contains("Checked for traces left running"), TimeSpan.FromSeconds(30));
        }

        var dead = await app.Database.SingleAsync("SELECT amount, settled FROM budget_charges WHERE \"traceId\" = 'trace-of-a-dead-instance'");
        dead["settled"].ShouldBe(true);
        dead["amount"].ShouldBe(0m, "its trace was never written, so nothing was billed");
        (await app.Database.SingleAsync("SELECT settled FROM budget_charges WHERE \"traceId\" = 'trace-of-this-instance'"))["settled"].ShouldBe(false);
    }

    private Task InsertOpenChargeAsync(string traceId, string userId, long instanceKey) => app.Database.QueryAsync(
        """
        INSERT INTO budget_charges ("traceId", scope, "subjectId", month, amount, settled, "instanceKey", "createdAt")
        VALUES ($1, 'user', $2, date_trunc('month', now())::date, 0.5, false, $3, now())
        """, traceId, userId, instanceKey);
}
