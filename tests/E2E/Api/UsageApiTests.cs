using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

/// <summary>Who spent what, on which agent and model, on which day: added up by the database, reconciled with the trace rows.</summary>
public sealed class UsageApiTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Day(string date, int hour = 12) => DateTimeOffset.Parse($"{date}T{hour:00}:00:00Z");

    private static async Task<JsonElement> UsageAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/api/usage?{query}", Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task SpendPerDayAndAgentIsTheSumOfTheTraceRowsToTheMicroDollar()
    {
        using var ada = await app.NewUserAsync();
        using var bob = await app.NewUserAsync();
        var writer = await app.CreateAgentAsync(model: "claude-sonnet-4-6");
        var helper = await app.CreateAgentAsync(model: "claude-haiku-4-5");
        // Ada: two replies with the writer on 3 March (one stopped, its output counted by us), one with the helper the
        // same day, a failed one on 4 March; a reply at 23:59 UTC belongs to its day, one at 00:00 the next. Bob's never count.
        await app.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", Day("2025-03-03", 0), "success", 0.000315m, Input: 45, Output: 12));
        await app.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", Day("2025-03-03", 23).AddMinutes(59), "cancelled", 0.001234m, Input: 100, Output: 62, CacheRead: 2_000, CostEstimated: true));
        await app.Database.InsertAsync(new(ada.Id, helper, "claude-haiku-4-5", Day("2025-03-03"), "success", 0.000777m, Input: 10, Output: 20, CacheWrite5m: 300, CacheWrite1h: 40));
        await app.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", Day("2025-03-04", 0), "failed", 0.000003m, Input: 1));
        await app.Database.InsertAsync(new(bob.Id, writer, "claude-sonnet-4-6", Day("2025-03-03"), "success", 9.999999m, Input: 5, Output: 5));
        // Outside the range.
        await app.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", Day("2025-03-05", 0), "success", 1m, Input: 1));

        var usage = await UsageAsync(ada.Client, "from=2025-03-03&to=2025-03-04&groupBy=day,agent");

        var rows = usage.GetProperty("rows").EnumerateArray().Select(r => (
            Day: r.GetProperty("day").GetString(), Agent: r.GetProperty("agentId").GetString(), Cost: r.GetProperty("cost").GetDecimal(),
            Replies: r.GetProperty("replies"), Tokens: r.GetProperty("tokens"), Estimated: r.GetProperty("estimatedCost").GetDecimal())).ToList();
        rows.Select(r => (r.Day, r.Agent, r.Cost)).OrderBy(r => r.Day).ThenBy(r => r.Cost).ShouldBe([
            ("2025-03-03", helper, 0.000777m),
            ("2025-03-03", writer, 0.001549m),
            ("2025-03-04", writer, 0.000003m),
        ]);
        var writerDay = rows.Single(r => r.Day == "2025-03-03" && r.Agent == writer);
        writerDay.Replies.GetProperty("completed").GetInt32().ShouldBe(1);
        writerDay.Replies.GetProperty("cancelled").GetInt32().ShouldBe(1);
        writerDay.Tokens.GetProperty("input").GetInt64().ShouldBe(145);
        writerDay.Tokens.GetProperty("output").GetInt64().ShouldBe(74);
        writerDay.Tokens.GetProperty("cacheRead").GetInt64().ShouldBe(2_000);
        writerDay.Estimated.ShouldBe(0.001234m);
        var helperDay = rows.Single(r => r.Agent == helper);
        helperDay.Tokens.GetProperty("cacheWrite5m").GetInt64().ShouldBe(300);
        helperDay.Tokens.GetProperty("cacheWrite1h").GetInt64().ShouldBe(40);
        rows.Single(r => r.Day == "2025-03-04").Replies.GetProperty("failed").GetInt32().ShouldBe(1);

        usage.GetProperty("cost").GetDecimal().ShouldBe(0.002329m);
        usage.GetProperty("replies").GetProperty("total").GetInt32().ShouldBe(4);
        usage.GetProperty("groupBy").EnumerateArray().Select(g => g.GetString()).ShouldBe(["day", "agent"]);
        var trace = await app.Database.SingleAsync(
            "SELECT sum(s.cost) AS total FROM trace_sessions s JOIN task_trace t ON t.id = s.\"taskTraceId\" WHERE t.\"ownerId\" = $1 AND s.\"createdAt\" < '2025-03-05'", ada.Id);
        usage.GetProperty("cost").GetDecimal().ShouldBe((decimal)trace["total"]!, "the report and the trace rows agree to the micro-dollar");
    }

    [Fact]
    public async Task AnOperatorSeesOnlyTheirOwnUsageAndAnAdminSeesEveryonesByUser()
    {
        using var ada = await app.NewUserAsync();
        using var bob = await app.NewUserAsync();
        var agent = await app.CreateAgentAsync();
        await app.Database.InsertAsync(new(ada.Id, agent, "claude-sonnet-4-6", Day("2025-04-10"), "success", 0.000100m, Input: 10, Output: 5));
        await app.Database.InsertAsync(new(bob.Id, agent, "claude-sonnet-4-6", Day("2025-04-10"), "success", 0.000200m, Input: 20, Output: 9));

        (await UsageAsync(bob.Client, "from=2025-04-10&to=2025-04-10&groupBy=user")).GetProperty("rows").EnumerateArray()
            .Select(r => (r.GetProperty("userId").GetString(), r.GetProperty("cost").GetDecimal())).ShouldBe([(bob.Id, 0.000200m)]);
        using var other = await bob.Client.GetAsync($"/api/usage?from=2025-04-10&to=2025-04-10&userId={ada.Id}", Ct);
        other.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await other.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString()!.ShouldContain("Only administrators");

        using var admin = await app.AdminAsync();
        var everyone = await UsageAsync(admin, "from=2025-04-10&to=2025-04-10&groupBy=user,model");
        everyone.GetProperty("rows").EnumerateArray()
            .Select(r => (r.GetProperty("userEmail").GetString(), r.GetProperty("model").GetString(), r.GetProperty("cost").GetDecimal()))
            .OrderBy(r => r.Item3)
            .ShouldBe([(ada.Email, "claude-sonnet-4-6", 0.000100m), (bob.Email, "claude-sonnet-4-6", 0.000200m)]);
        (await UsageAsync(admin, $"from=2025-04-10&to=2025-04-10&groupBy=user&userId={ada.Id}")).GetProperty("cost").GetDecimal().ShouldBe(0.000100m);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2025-05-02&to=2025-05-01", "from")]
    [InlineData("from=2024-01-01&to=2025-06-01", "to")]
    [InlineData("groupBy=day,weekday", "groupBy")]
    [InlineData("groupBy=1", "groupBy")]
    [InlineData("to=2025-02-30", "to")]
    public async Task BadInputIs400NamingTheField(string query, string field)
    {
        using var user = await app.NewUserAsync();
        using var response = await user.Client.GetAsync($"/api/usage?{query}", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }

    [Fact]
    public async Task TheCsvExportHasTheSameRowsAndDefusesFormulasInNames()
    {
        using var ada = await app.NewUserAsync();
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = "=HYPERLINK(\"http://evil\",\"x\")", description = "", model = "claude-sonnet-4-6", systemPrompt = "Hi.", maxTokens = 100, status = "ACTIVE",
        }, Ct);
        created.EnsureSuccessStatusCode();
        var agent = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        await app.Database.InsertAsync(new(ada.Id, agent, "claude-sonnet-4-6", Day("2025-06-01"), "success", 0.000315m, Input: 45, Output: 12));

        using var response = await ada.Client.GetAsync("/api/usage.csv?from=2025-06-01&to=2025-06-01&groupBy=day,agent", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        response.Content.Headers.ContentDisposition!.FileName.ShouldBe("usage-2025-06-01-to-2025-06-01.csv");
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldBe([
            "day,agentId,agent,completed,failed,cancelled,running,inputTokens,cacheWrite5mTokens,cacheWrite1hTokens,cacheReadTokens,outputTokens,webSearchRequests,toolFees,cost,estimatedCost,"
                + "inputCost,cacheWrite5mCost,cacheWrite1hCost,cacheReadCost,outputCost",
            $"2025-06-01,{agent},\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",1,0,0,0,45,0,0,0,12,0,0.000000,0.000315,0,0.000135,0,0,0,0.00018",
        ]);
    }

    [Fact]
    public async Task ARealReplyShowsUpInTodaysUsageWithItsStreamedCost()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agent = await app.CreateAgentAsync();
        using var response = await user.SendAsync(agent, "Hello", ct: Ct);
        var cost = (await SseReader.ReadAllAsync(response, Ct)).Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal();

        var usage = await UsageAsync(user.Client, "groupBy=agent");

        usage.GetProperty("rows").EnumerateArray().Single().GetProperty("agentId").GetString().ShouldBe(agent);
        usage.GetProperty("cost").GetDecimal().ShouldBe(cost);
    }
}
