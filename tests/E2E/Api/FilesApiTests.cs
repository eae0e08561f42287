using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app with small file limits, so that a test can exceed them cheaply.</summary>
public sealed class SmallFilesApp : CommandCenterApp
{
    public const int MaxBytes = 100_000;
    public const int MaxPerMessage = 3;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Files:MaxBytes", MaxBytes.ToString()),
        new("Files:MaxPerMessage", MaxPerMessage.ToString()),
    ];
}

/// <summary>
/// Files in the conversation through the API: <c>/api/files</c>, messages that carry them, each file uploaded to
/// Anthropic once per key and then named by <c>file_id</c>, the trace's record of how, and what deleting leaves.
/// </summary>
public sealed class FilesApiTests(SmallFilesApp app) : IClassFixture<SmallFilesApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Screenshot = SampleFiles.TinyPng(40, 30);
    private static readonly byte[] Manual = SampleFiles.TinyPdf(2);

    private static async Task<HttpResponseMessage> PostFileAsync(HttpClient client, byte[] content, string name, string partType = "application/octet-stream")
    {
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(partType);
        using var form = new MultipartFormDataContent { { file, "file", name } };
        return await client.PostAsync("/api/files", form, Ct);
    }

    private static async Task<JsonElement> UploadAsync(HttpClient client, byte[] content, string name)
    {
        using var response = await PostFileAsync(client, content, name);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static string Id(JsonElement file) => file.GetProperty("id").GetString()!;

    private static async Task<(HttpStatusCode Status, List<ReceivedEvent> Events, JsonElement? Problem)> SendAsync(
        HttpClient client, string agentId, string message, string? conversationId, params string[] attachments)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/command-center/message")
        {
            Content = JsonContent.Create(new { agentId, conversationId, message, attachments }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        return response.StatusCode == HttpStatusCode.OK
            ? (response.StatusCode, await SseReader.ReadAllAsync(response, Ct), null)
            : (response.StatusCode, [], await response.Content.ReadFromJsonAsync<JsonElement>(Ct));
    }

    private static string Text(List<ReceivedEvent> events) => string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text));

    private static string ConversationOf(List<ReceivedEvent> events) => events[0].Data.GetProperty("conversationId").GetString()!;

    private static string TraceOf(List<ReceivedEvent> events) => events[0].Data.GetProperty("traceId").GetString()!;

    [Fact]
    public async Task AnUploadIsDescribedStoredOnceAndReadableOnlyByItsOwnerOrAnAdmin()
    {
        using var owner = await app.NewUserAsync();
        using var stranger = await app.NewUserAsync();

        var file = await UploadAsync(owner.Client, Screenshot, "shot.png");

        file.GetProperty("name").GetString().ShouldBe("shot.png");
        file.GetProperty("mediaType").GetString().ShouldBe("image/png");
        file.GetProperty("bytes").GetInt64().ShouldBe(Screenshot.Length);
        file.GetProperty("sha256").GetString().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Screenshot)));
        Id(await UploadAsync(owner.Client, Screenshot, "again.png")).ShouldBe(Id(file), "the same bytes are the same file");
        ((long)(await app.Database.SingleAsync("SELECT count(*) FROM files WHERE \"ownerId\" = $1", owner.Id))["count"]!).ShouldBe(1);

        using (var read = await owner.Client.GetAsync($"/api/files/{Id(file)}", Ct))
        {
            read.StatusCode.ShouldBe(HttpStatusCode.OK);
            read.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
            read.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("inline");
            (await read.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(Screenshot);
        }

        using var admin = await app.AdminAsync();
        (await admin.GetAsync($"/api/files/{Id(file)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK, "admins read files for audit");
        (await stranger.Client.GetAsync($"/api/files/{Id(file)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.Client.DeleteAsync($"/api/files/{Id(file)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await admin.DeleteAsync($"/api/files/{Id(file)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound, "only the owner deletes");
        (await app.CreateClient().GetAsync($"/api/files/{Id(file)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        (await owner.Client.DeleteAsync($"/api/files/{Id(file)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await owner.Client.GetAsync($"/api/files/{Id(file)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task BadUploadsGetAProblemNamingTheFileAndStoreNothing()
    {
        using var owner = await app.NewUserAsync();

        // The bytes decide, not the name or the part's type.
        using (var text = await PostFileAsync(owner.Client, Encoding.UTF8.GetBytes("not an image at all"), "fake.png", "image/png"))
        {
            text.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await text.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("file")[0].GetString()!.ShouldContain("fake.png is not a PNG, JPEG, GIF, WebP or PDF");
        }

        using (var big = await PostFileAsync(owner.Client, SampleFiles.PadTo(Manual, SmallFilesApp.MaxBytes + 1), "big.pdf"))
        {
            big.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await big.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("file")[0].GetString()!.ShouldContain("big.pdf is larger than");
        }

        var nul = new ByteArrayContent(Screenshot);
        nul.Headers.ContentDisposition = ContentDispositionHeaderValue.Parse("form-data; name=\"file\"; filename*=UTF-8''a%00b.png");
        using (var form = new MultipartFormDataContent { nul })
        using (var named = await owner.Client.PostAsync("/api/files", form, Ct))
        {
            named.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await named.Content.ReadAsStringAsync(Ct)).ShouldContain("NUL");
        }

        using (var form = new MultipartFormDataContent { { new StringContent("x"), "note" } })
        using (var missing = await owner.Client.PostAsync("/api/files", form, Ct))
        {
            missing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            missing.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        }

        ((long)(await app.Database.SingleAsync("SELECT count(*) FROM files WHERE \"ownerId\" = $1", owner.Id))["count"]!).ShouldBe(0);
    }

    [Fact]
    public async Task AMessageCarriesItsFilesUpstreamUploadedOncePerKeyAndTheNextTurnNamesThemByFileId()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        var shot = await UploadAsync(user.Client, Screenshot, "shot.png");
        var manual = await UploadAsync(user.Client, Manual, "manual.pdf");

        var (status, events, problem) = await SendAsync(user.Client, agentId, "What do these say?", null, Id(shot), Id(manual));

        status.ShouldBe(HttpStatusCode.OK, problem?.GetRawText());
        events[^1].Type.ShouldBe("done");
        // The fake writes what it received: the bytes went through, by reference to the upload.
        Text(events).ShouldBe($"Received 2 attachments: image/png {Screenshot.Length} bytes 40x30 by file_id; application/pdf {Manual.Length} bytes 2 pages by file_id.");
        app.Fake.FileUploads.Where(u => u.ApiKey == user.ApiKey).Select(u => u.Filename).ShouldBe(["shot.png", "manual.pdf"]);

        var conversationId = ConversationOf(events);
        (status, events, problem) = await SendAsync(user.Client, agentId, "And the second page?", conversationId);
        status.ShouldBe(HttpStatusCode.OK, problem?.GetRawText());
        app.Fake.FileUploads.Count(u => u.ApiKey == user.ApiKey).ShouldBe(2, "one upload for two turns");
        var second = app.Fake.RequestsFor(user.ApiKey!)[^1];
        second.Headers["anthropic-beta"].ShouldContain("files-api-2025-04-14");
        var firstQuestion = second.Json.GetProperty("messages")[0].GetProperty("content");
        firstQuestion.EnumerateArray().Select(b => b.GetProperty("type").GetString()).ShouldBe(["image", "document", "text"]);
        firstQuestion[0].GetProperty("source").GetProperty("file_id").GetString().ShouldBe(app.Fake.FileUploads.First(u => u.ApiKey == user.ApiKey).Id);

        // The question keeps its files on reload; the trace says what was sent and how; the files' tokens are priced as input.
        var messages = (await user.Client.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversationId}", Ct)).GetProperty("messages");
        messages[0].GetProperty("attachments").EnumerateArray().Select(a => (a.GetProperty("name").GetString(), a.GetProperty("removed").GetBoolean()))
            .ShouldBe([("shot.png", false), ("manual.pdf", false)]);
        var trace = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{messages[1].GetProperty("traceId").GetString()}", Ct);
        trace.GetProperty("attachments").EnumerateArray().Select(a => (a.GetProperty("name").GetString(), a.GetProperty("mediaType").GetString(), a.GetProperty("bytes").GetInt64(), a.GetProperty("sentAs").GetString()))
            .ShouldBe([("shot.png", "image/png", Screenshot.Length, "file_id"), ("manual.pdf", "application/pdf", Manual.Length, "file_id")]);
        var input = trace.GetProperty("tokens").GetProperty("input").GetInt32();
        input.ShouldBe(FakeTokens.Count(app.Fake.RequestsFor(user.ApiKey!)[0]), "what the fake counted, files by file_id included");
        input.ShouldBeGreaterThan(4, "the image and the PDF count, not only the words");
        trace.GetProperty("cost").GetDecimal().ShouldBe(Math.Round(
            input * trace.GetProperty("price").GetProperty("inputPerMTok").GetDecimal() / 1_000_000m
            + trace.GetProperty("tokens").GetProperty("output").GetInt32() * trace.GetProperty("price").GetProperty("outputPerMTok").GetDecimal() / 1_000_000m, 6));
    }

    [Fact]
    public async Task WhenTheFilesApiIsRefusedTheFilesGoInlineAndTheTraceSaysSo()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { FilesApiStatus = 403 });
        var agentId = await app.CreateAgentAsync();
        var shot = await UploadAsync(user.Client, Screenshot, "shot.png");

        var (status, events, problem) = await SendAsync(user.Client, agentId, "What is this?", null, Id(shot));

        status.ShouldBe(HttpStatusCode.OK, problem?.GetRawText());
        Text(events).ShouldBe($"Received 1 attachment: image/png {Screenshot.Length} bytes 40x30 inline.");
        var trace = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{TraceOf(events)}", Ct);
        trace.GetProperty("attachments")[0].GetProperty("sentAs").GetString().ShouldBe("inline");
        app.Fake.RequestsFor(user.ApiKey!)[^1].Headers.ContainsKey("anthropic-beta").ShouldBeFalse("no file is named by id");
    }

    [Fact]
    public async Task AMessageMayCarryOnlyItsSendersFilesAndNotTooMany()
    {
        using var owner = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var other = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        var theirs = await UploadAsync(other.Client, Screenshot, "theirs.png");
        var files = new List<string>();
        for (var i = 0; i <= SmallFilesApp.MaxPerMessage; i++)
        {
            files.Add(Id(await UploadAsync(owner.Client, SampleFiles.TinyPng(10 + i, 10), $"{i}.png")));
        }

        var (status, _, problem) = await SendAsync(owner.Client, agentId, "Look", null, Id(theirs));
        status.ShouldBe(HttpStatusCode.BadRequest);
        problem!.Value.GetProperty("errors").GetProperty("attachments[0]")[0].GetString().ShouldBe($"File with ID {Id(theirs)} not found.");

        (status, _, problem) = await SendAsync(owner.Client, agentId, "Look", null, [.. files]);
        status.ShouldBe(HttpStatusCode.BadRequest);
        problem!.Value.GetProperty("errors").GetProperty("attachments")[0].GetString().ShouldBe($"A message carries at most {SmallFilesApp.MaxPerMessage} files.");

        (status, _, problem) = await SendAsync(owner.Client, agentId, "Look", null, "no\0such");
        status.ShouldBe(HttpStatusCode.BadRequest);
        problem!.Value.GetProperty("errors").GetProperty("attachments[0]")[0].GetString().ShouldBe("No such file.");

        app.Fake.RequestsFor(owner.ApiKey!).ShouldBeEmpty();
        ((long)(await app.Database.SingleAsync("SELECT count(*) FROM task_trace WHERE \"ownerId\" = $1", owner.Id))["count"]!).ShouldBe(0);
    }

    [Fact]
    public async Task ADeletedFileLeavesItsMessageReadableAndTheModelIsToldItWasRemoved()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        var shot = await UploadAsync(user.Client, Screenshot, "shot.png");
        var (_, events, _) = await SendAsync(user.Client, agentId, "What is this?", null, Id(shot));
        var conversationId = ConversationOf(events);

        (await user.Client.DeleteAsync($"/api/files/{Id(shot)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var question = (await user.Client.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversationId}", Ct)).GetProperty("messages")[0];
        question.GetProperty("content").GetString().ShouldBe("What is this?");
        var attachment = question.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        (attachment.GetProperty("name").GetString(), attachment.GetProperty("removed").GetBoolean()).ShouldBe(("shot.png", true));

        var (status, next, problem) = await SendAsync(user.Client, agentId, "Go on", conversationId);
        status.ShouldBe(HttpStatusCode.OK, problem?.GetRawText());
        next[^1].Type.ShouldBe("done");
        var history = app.Fake.RequestsFor(user.ApiKey!)[^1].Json.GetProperty("messages")[0].GetProperty("content");
        history.EnumerateArray().Select(b => b.GetProperty("type").GetString()).ShouldBe(["text", "text"]);
        history[0].GetProperty("text").GetString().ShouldBe("[Attached file shot.png was removed.]");
    }

    [Fact]
    public async Task DeletingAConversationDeletesTheFilesNoOtherMessageCarries()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        var onlyHere = await UploadAsync(user.Client, SampleFiles.TinyPng(21, 21), "only-here.png");
        var shared = await UploadAsync(user.Client, SampleFiles.TinyPng(22, 22), "shared.png");
        var (_, first, _) = await SendAsync(user.Client, agentId, "One", null, Id(onlyHere), Id(shared));
        var (_, second, _) = await SendAsync(user.Client, agentId, "Two", null, Id(shared));
        second[^1].Type.ShouldBe("done");

        (await user.Client.DeleteAsync($"/api/conversations/{ConversationOf(first)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await user.Client.GetAsync($"/api/files/{Id(onlyHere)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await user.Client.GetAsync($"/api/files/{Id(shared)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK, "the other conversation still carries it");
        var trace = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{TraceOf(first)}", Ct);
        trace.GetProperty("attachments").GetArrayLength().ShouldBe(2, "the trace keeps its record");
    }

    [Fact]
    public async Task NearTheWindowAPromptWithFilesIsCountedExactlyAndOlderTurnsGoWhenTheEstimateFellShort()
    {
        // We weigh a PDF page at 3,000 tokens, the fake at 3,100: two one-page PDFs and a few words are estimated at about
        // 6,025 tokens and counted at about 6,210. A window that leaves 6,120 for the prompt fits the estimate, not the count.
        using var admin = await app.AdminAsync();
        var model = $"claude-small-{Guid.NewGuid():N}";
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, cacheWrite5mPerMTok = 1m, cacheWrite1hPerMTok = 1m, cacheReadPerMTok = 1m, outputPerMTok = 1m, contextWindow = 6_120 + 100 + 1_000 }, Ct)).EnsureSuccessStatusCode();
        var agentId = await app.CreateAgentAsync(model, systemPrompt: "", maxTokens: 100);
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var first = await UploadAsync(user.Client, SampleFiles.TinyPdf(1), "first.pdf");
        var second = await UploadAsync(user.Client, SampleFiles.PadTo(SampleFiles.TinyPdf(1), 2_000), "second.pdf");

        var (_, one, _) = await SendAsync(user.Client, agentId, "One", null, Id(first));
        app.Fake.TokenCountRequests.Where(r => r.ApiKey == user.ApiKey).ShouldBeEmpty("far from the window the estimate is enough");
        var (status, two, problem) = await SendAsync(user.Client, agentId, "Two", ConversationOf(one), Id(second));

        status.ShouldBe(HttpStatusCode.OK, problem?.GetRawText());
        app.Fake.TokenCountRequests.Count(r => r.ApiKey == user.ApiKey).ShouldBe(1);
        two[0].Data.GetProperty("historyMessagesTrimmed").GetInt32().ShouldBe(2);
        var sent = app.Fake.RequestsFor(user.ApiKey!)[^1];
        sent.Json.GetProperty("messages").GetArrayLength().ShouldBe(1);
        Text(two).ShouldBe($"Received 1 attachment: application/pdf 2000 bytes 1 page by file_id.");
    }

    [Fact]
    public async Task AnIntegrationKeyUploadsForItsOwnerAndSendsTheFileAsCurlWould()
    {
        using var owner = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        using var created = await owner.Client.PostAsJsonAsync("/api/api-keys", new { name = "Screenshots bot" }, Ct);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString()!;
        using var viaKey = app.CreateClient();
        viaKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var shot = await UploadAsync(viaKey, Screenshot, "from-bot.png");
        (await owner.Client.GetAsync($"/api/files/{Id(shot)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK, "the key's owner owns it");
        var (status, events, problem) = await SendAsync(viaKey, agentId, "What is this?", null, Id(shot));

        status.ShouldBe(HttpStatusCode.OK, problem?.GetRawText());
        Text(events).ShouldContain($"image/png {Screenshot.Length} bytes 40x30");
    }
}
