using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

public sealed class AgentsApiTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminCreatesReadsUpdatesAndDeletesAnAgent()
    {
        using var admin = await app.AdminAsync();
        var name = $"Researcher {Guid.NewGuid():N}";
        var created = await admin.PostAsJsonAsync("/api/agents", new { name, description = "Finds things", model = "claude-haiku-4-5", systemPrompt = "Cite sources.", maxTokens = 800, status = "ACTIVE" }, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var agent = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = agent.GetProperty("id").GetString()!;
        created.Headers.Location!.ToString().ShouldBe($"/api/agents/{id}");

        var list = await admin.GetFromJsonAsync<JsonElement>("/api/agents", Ct);
        var listed = list.EnumerateArray().Single(a => a.GetProperty("id").GetString() == id);
        listed.GetProperty("name").GetString().ShouldBe(name);
        listed.GetProperty("model").GetString().ShouldBe("claude-haiku-4-5");
        listed.GetProperty("status").GetString().ShouldBe("ACTIVE");
        listed.GetProperty("description").GetString().ShouldBe("Finds things");

        var updated = await admin.PutAsJsonAsync($"/api/agents/{id}", new { name, description = "Finds more", model = "claude-opus-4-6", systemPrompt = "Cite.", maxTokens = 900, status = "INACTIVE" }, Ct);
        updated.StatusCode.ShouldBe(HttpStatusCode.OK);
        var reread = await admin.GetFromJsonAsync<JsonElement>($"/api/agents/{id}", Ct);
        reread.GetProperty("model").GetString().ShouldBe("claude-opus-4-6");
        reread.GetProperty("status").GetString().ShouldBe("INACTIVE");
        reread.GetProperty("maxTokens").GetInt32().ShouldBe(900);

        (await admin.DeleteAsync($"/api/agents/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var gone = await admin.GetAsync($"/api/agents/{id}", Ct);
        gone.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await gone.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString().ShouldBe($"Agent with ID {id} not found");
    }

    [Fact]
    public async Task ValidationErrorsNameEachField()
    {
        using var admin = await app.AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/agents", new { name = "", model = "gpt-4", systemPrompt = new string('x', 20_001), maxTokens = 0, status = "ON" }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        body.GetProperty("error").GetString().ShouldNotBeNullOrEmpty();
        var errors = body.GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).ShouldBe(["name", "model", "systemPrompt", "maxTokens", "status"], ignoreOrder: true);
        errors.GetProperty("model")[0].GetString()!.ShouldContain("claude-sonnet-4-6");
    }

    [Fact]
    public async Task NamesAreUniqueIgnoringCase()
    {
        using var admin = await app.AdminAsync();
        var name = $"Unique {Guid.NewGuid():N}";
        (await admin.PostAsJsonAsync("/api/agents", new { name, model = "claude-sonnet-4-6", maxTokens = 100 }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var duplicate = await admin.PostAsJsonAsync("/api/agents", new { name = name.ToUpperInvariant(), model = "claude-sonnet-4-6", maxTokens = 100 }, Ct);
        duplicate.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await duplicate.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task MalformedJsonGetsAClear400()
    {
        using var admin = await app.AdminAsync();
        var response = await admin.PostAsync("/api/agents", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"), Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString()!.ShouldContain("JSON");
    }

    [Fact]
    public async Task OperatorsMayListButNotManageAgents()
    {
        var id = await app.CreateAgentAsync();
        using var operatorUser = await app.NewUserAsync();
        var body = new { name = "Nope", model = "claude-sonnet-4-6", maxTokens = 100 };

        (await operatorUser.Client.GetAsync("/api/agents", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await operatorUser.Client.PostAsJsonAsync("/api/agents", body, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await operatorUser.Client.PutAsJsonAsync($"/api/agents/{id}", body, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await operatorUser.Client.DeleteAsync($"/api/agents/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        using var anonymous = app.CreateClient();
        (await anonymous.PostAsJsonAsync("/api/agents", body, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnAgentWithHistoryIsDeactivatedNotDeleted()
    {
        var id = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using (var reply = await user.SendAsync(id, "Hello", ct: Ct))
        {
            await SseReader.ReadAllAsync(reply, Ct);
        }

        using var admin = await app.AdminAsync();
        var delete = await admin.DeleteAsync($"/api/agents/{id}", Ct);
        delete.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await delete.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString()!.ShouldContain("INACTIVE");
    }

    [Fact]
    public async Task PricesAreDataThatAdminsExtend()
    {
        using var admin = await app.AdminAsync();
        var prices = await admin.GetFromJsonAsync<JsonElement>("/api/prices", Ct);
        var sonnet = prices.EnumerateArray().Single(p => p.GetProperty("model").GetString() == "claude-sonnet-4-6");
        sonnet.GetProperty("inputPerMTok").GetDecimal().ShouldBe(3m);
        sonnet.GetProperty("outputPerMTok").GetDecimal().ShouldBe(15m);

        var model = $"claude-test-{Guid.NewGuid():N}";
        var noPrice = await admin.PostAsJsonAsync("/api/agents", new { name = model, model, maxTokens = 100 }, Ct);
        noPrice.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 2m, cacheWrite5mPerMTok = 2.5m, cacheWrite1hPerMTok = 4m, cacheReadPerMTok = 0.2m, outputPerMTok = 10m }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.PostAsJsonAsync("/api/agents", new { name = model, model, maxTokens = 100 }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);

        using var operatorUser = await app.NewUserAsync();
        (await operatorUser.Client.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 0m, outputPerMTok = 0m }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
