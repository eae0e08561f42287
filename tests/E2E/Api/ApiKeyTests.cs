using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Api;

public sealed class ApiKeyTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeyRoundTripNeverRevealsTheKey()
    {
        using var user = await app.NewUserAsync();
        var key = CommandCenterApp.NewApiKey();
        var bodies = new List<string>();

        var before = await user.Client.GetAsync("/api/me/anthropic-key", Ct);
        var status = await before.Content.ReadFromJsonAsync<JsonElement>(Ct);
        status.GetProperty("configured").GetBoolean().ShouldBeFalse();

        var put = await user.Client.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey = key }, Ct);
        put.StatusCode.ShouldBe(HttpStatusCode.OK);
        bodies.Add(await put.Content.ReadAsStringAsync(Ct));

        var after = await user.Client.GetAsync("/api/me/anthropic-key", Ct);
        var afterBody = await after.Content.ReadAsStringAsync(Ct);
        bodies.Add(afterBody);
        var configured = JsonDocument.Parse(afterBody).RootElement;
        configured.GetProperty("configured").GetBoolean().ShouldBeTrue();
        configured.GetProperty("last4").GetString().ShouldBe(key[^4..]);
        configured.TryGetProperty("updatedAt", out _).ShouldBeTrue();

        var stored = await app.Database.SingleAsync("SELECT \"protectedKey\", \"last4\" FROM anthropic_api_keys WHERE \"userId\" = $1", user.Id);
        ((string)stored["protectedKey"]!).ShouldNotContain(key);
        ((string)stored["protectedKey"]!).ShouldNotContain(key[..20]);
        bodies.ShouldAllBe(body => !body.Contains(key));

        (await user.Client.DeleteAsync("/api/me/anthropic-key", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await user.Client.GetFromJsonAsync<JsonElement>("/api/me/anthropic-key", Ct)).GetProperty("configured").GetBoolean().ShouldBeFalse();
        (await app.Database.QueryAsync("SELECT 1 FROM anthropic_api_keys WHERE \"userId\" = $1", user.Id)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("sk-ant key-with-space")]
    [InlineData("sk-ant\nnewline-inside")]
    public async Task GarbageKeysAreRejectedAndChangeNothing(string garbage)
    {
        var key = CommandCenterApp.NewApiKey();
        using var user = await app.NewUserAsync(apiKey: key);

        var response = await user.Client.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey = garbage }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("apiKey", out _).ShouldBeTrue();
        (await user.Client.GetFromJsonAsync<JsonElement>("/api/me/anthropic-key", Ct)).GetProperty("last4").GetString().ShouldBe(key[^4..]);
    }

    [Fact]
    public async Task OverlongKeyIsRejected()
    {
        using var user = await app.NewUserAsync();
        var response = await user.Client.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey = new string('k', 257) }, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnotherInstanceDecryptsTheKeyWithTheSharedKeyRing()
    {
        var key = CommandCenterApp.NewApiKey();
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();

        await using var second = app.StartAnotherInstance();
        using var client = second.CreateClient(await second.LoginAsync(user.Email, user.Password));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/command-center/message") { Content = JsonContent.Create(new { agentId, conversationId = (string?)null, message = "Hi from instance two" }) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SseReader.ReadAllAsync(response, Ct)).Last().Type.ShouldBe("done");
        app.Fake.RequestsFor(key).ShouldHaveSingleItem();
    }
}
