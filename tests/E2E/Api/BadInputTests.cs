using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

/// <summary>Input the database cannot store or the API does not allow: a 400 naming the field, as JSON, and nothing changed.</summary>
public sealed class BadInputTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Asserts a JSON problem with this status, and returns it.</summary>
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        response.StatusCode.ShouldBe(status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("error").GetString().ShouldNotBeNullOrWhiteSpace();
        return problem;
    }

    private static async Task FieldRefusedAsync(HttpResponseMessage response, string field)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.GetRawText());
    }

    [Fact]
    public async Task ANulInAnAgentsNameIs400AndNoAgentIsMade()
    {
        using var admin = await app.AdminAsync();
        var name = $"Bad\0{Guid.NewGuid():N}";
        using var response = await admin.PostAsJsonAsync("/api/agents", new { name, model = "claude-sonnet-4-6", status = "ACTIVE" }, Ct);

        await FieldRefusedAsync(response, "name");
        (await app.Database.QueryAsync("SELECT 1 FROM agents WHERE name LIKE 'Bad%'")).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("new\0title")]
    [InlineData("")]
    [InlineData("   ")]
    public async Task ATitleThatIsEmptyOrHasANulIs400AndTheTitleStays(string title)
    {
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using (var reply = await user.SendAsync(agentId, "Keep this title", ct: Ct))
        {
            await SseReader.ReadAllAsync(reply, Ct);
        }

        var id = (string)(await app.Database.SingleAsync("SELECT id FROM conversations WHERE \"ownerId\" = $1", user.Id))["id"]!;
        using var response = await user.Client.PatchAsJsonAsync($"/api/conversations/{id}", new { title }, Ct);

        await FieldRefusedAsync(response, "title");
        (await app.Database.SingleAsync("SELECT title FROM conversations WHERE id = $1", id))["title"].ShouldBe("Keep this title");
    }

    [Fact]
    public async Task AFiveThousandCharacterEmailIs400AndNoAccountIsMade()
    {
        using var admin = await app.AdminAsync();
        var email = new string('a', 5_000) + "@e2e.test";
        using var create = await admin.PostAsJsonAsync("/api/users", new { email, password = "User-Pass-123", role = "Operator" }, Ct);
        using var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "a\0@e2e.test", password = "x" }, Ct);

        await FieldRefusedAsync(create, "email");
        await FieldRefusedAsync(login, "email");
        (await app.Database.QueryAsync("SELECT 1 FROM \"AspNetUsers\" WHERE length(\"Email\") > 1000")).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("page=2147483647", "page")]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=101", "pageSize")]
    public async Task PagingOutOfRangeIs400NamingTheParameter(string query, string field)
    {
        using var user = await app.NewUserAsync();
        using var response = await user.Client.GetAsync($"/api/conversations?{query}", Ct);

        await FieldRefusedAsync(response, field);
    }

    [Fact]
    public async Task ANulInASearchIs400NamingIt()
    {
        using var user = await app.NewUserAsync();
        using var response = await user.Client.GetAsync("/api/conversations?search=a%00b", Ct);

        await FieldRefusedAsync(response, "search");
    }

    [Fact]
    public async Task AnUnknownApiPathIsAJsonProblemToo()
    {
        using var admin = await app.AdminAsync();
        using var response = await admin.GetAsync("/api/no-such-thing", Ct);

        await ProblemAsync(response, HttpStatusCode.NotFound);
    }
}
