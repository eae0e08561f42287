using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.Unit.Fake;

/// <summary>
/// The fake Anthropic upstream takes images and PDFs as Anthropic does: inline (base64) or uploaded once to the Files API and
/// sent by <c>file_id</c>; it refuses what Anthropic refuses, in its error shape, counts their tokens, and says in its reply
/// exactly what arrived. Talks to the fake directly over HTTP.
/// </summary>
public sealed class FakeAnthropicFilesTests : IAsyncLifetime
{
    private const string Key = "sk-ant-files-test";
    private const string OtherKey = "sk-ant-someone-else";
    private const string FilesBeta = FakeAnthropicServer.FilesBeta;
    private const string Model = "claude-sonnet-4-6";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeAnthropicServer _fake = null!;
    private readonly HttpClient _http = new();

    public async ValueTask InitializeAsync() => _fake = await FakeAnthropicServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _fake.DisposeAsync();
    }

    // ---- Files API: upload, scope, delete ----

    [Fact]
    public async Task AnUploadAnswersTheFileAndIsRecorded()
    {
        var png = SampleFiles.TinyPng(40, 30);

        using var response = await UploadAsync(png, "chart.png", "image/png");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("request-id").Single().ShouldStartWith("req_");
        var file = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = file.GetProperty("id").GetString()!;
        id.ShouldStartWith("file_");
        file.GetProperty("type").GetString().ShouldBe("file");
        file.GetProperty("filename").GetString().ShouldBe("chart.png");
        file.GetProperty("mime_type").GetString().ShouldBe("image/png");
        file.GetProperty("size_bytes").GetInt64().ShouldBe(png.Length);
        file.GetProperty("downloadable").GetBoolean().ShouldBeFalse();
        DateTimeOffset.Parse(file.GetProperty("created_at").GetString()!).ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);

        var upload = _fake.FileUploads.ShouldHaveSingleItem();
        upload.ShouldSatisfyAllConditions(
            () => upload.ApiKey.ShouldBe(Key),
            () => upload.Id.ShouldBe(id),
            () => upload.Filename.ShouldBe("chart.png"),
            () => upload.MimeType.ShouldBe("image/png"),
            () => upload.SizeBytes.ShouldBe(png.Length),
            () => upload.Sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(png))),
            () => upload.Content.ToArray().ShouldBe(png));
        _fake.FileRequests.ShouldHaveSingleItem().Method.ShouldBe("POST");
        _fake.Requests.ShouldBeEmpty("uploads are not Messages requests");
    }

    [Fact]
    public async Task AnUploadedImageAndPdfUsedByFileIdAreDescribedWithTheirBytes()
    {
        var png = SampleFiles.TinyPng(40, 30);
        var pdf = SampleFiles.TinyPdf(2);
        var imageId = await UploadedIdAsync(png, "a.png", "image/png");
        var pdfId = await UploadedIdAsync(pdf, "a.pdf", "application/pdf");

        using var response = await PostAsync(Body(User(FileBlock("image", imageId), FileBlock("document", pdfId), Text("What are these?"))), betas: FilesBeta);

        (await ReplyTextAsync(response)).ShouldBe(
            $"Received 2 attachments: image/png {png.Length} bytes 40x30 by file_id; application/pdf {pdf.Length} bytes 2 pages by file_id.");
        var attachments = _fake.Requests.ShouldHaveSingleItem().Attachments;
        attachments.Select(a => (a.Kind, a.Source, a.FileId)).ShouldBe([("image", "file", imageId), ("document", "file", pdfId)]);
    }

    [Fact]
    public async Task AnUploadedTextFileIsADocumentCountedByItsWords()
    {
        var text = Encoding.UTF8.GetBytes("Minutes of the meeting: nothing was decided.");
        var id = await UploadedIdAsync(text, "minutes.txt", "text/plain");
        var body = Body(User(FileBlock("document", id)));

        using var count = await PostAsync(CountBody(body), path: "v1/messages/count_tokens", betas: FilesBeta);
        (await count.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("input_tokens").GetInt32().ShouldBe(7);

        using var response = await PostAsync(body, betas: FilesBeta);
        (await ReplyTextAsync(response)).ShouldBe($"Received 1 attachment: text/plain {text.Length} bytes by file_id.");
    }

    [Fact]
    public async Task InlineImagesAndPdfsAreDescribedWithTheirDecodedBytesStreamedOrWhole()
    {
        var png = SampleFiles.TinyPng(40, 30);
        var pdf = SampleFiles.TinyPdf();
        var body = Body(User(Base64Block("image", "image/png", png), Base64Block("document", "application/pdf", pdf), Text("Compare.")));
        var expected = $"Received 2 attachments: image/png {png.Length} bytes 40x30 inline; application/pdf {pdf.Length} bytes 1 page inline.";

        using var streamed = await PostAsync(body);
        var events = await EventsAsync(streamed);
        string.Concat(TextDeltas(events)).ShouldBe(expected);
        TextDeltas(events).Count.ShouldBe(4, "the receipt comes in a few chunks, as replies do");

        body["stream"] = false;
        using var whole = await PostAsync(body);
        whole.StatusCode.ShouldBe(HttpStatusCode.OK);
        var message = await whole.Content.ReadFromJsonAsync<JsonElement>(Ct);
        message.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe(expected);
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("image/jpeg")]
    [InlineData("image/gif")]
    [InlineData("image/webp")]
    public async Task EachImageTypesSizeIsReadFromItsHeader(string mediaType)
    {
        var bytes = Image(mediaType, 40, 30);

        using var response = await PostAsync(Body(User(Base64Block("image", mediaType, bytes))));

        (await ReplyTextAsync(response)).ShouldBe($"Received 1 attachment: {mediaType} {bytes.Length} bytes 40x30 inline.");
    }

    [Fact]
    public async Task OnlyTheNewestUserMessagesAttachmentsAreDescribed()
    {
        var png = SampleFiles.TinyPng(10, 10);
        var body = Body(User(Base64Block("image", "image/png", png)));
        body["messages"]!.AsArray().Add(new JsonObject { ["role"] = "assistant", ["content"] = "A square." });
        body["messages"]!.AsArray().Add(User(Text("Thanks")));

        using var response = await PostAsync(body);

        (await ReplyTextAsync(response)).ShouldBe("Hello, world!");
    }

    [Fact]
    public async Task AScenarioCanKeepItsOwnTextWhenAttachmentsArrive()
    {
        _fake.SetScenario(Key, new FakeScenario { DescribeAttachments = false, Chunks = ["Looks ", "fine."] });

        using var response = await PostAsync(Body(User(Base64Block("image", "image/png", SampleFiles.TinyPng(4, 4)))));

        (await ReplyTextAsync(response)).ShouldBe("Looks fine.");
    }

    [Fact]
    public async Task TheFilesBetaMayComeAmongOthersAndTheBetaQueryIsAccepted()
    {
        using var response = await UploadAsync(SampleFiles.TinyPdf(), "a.pdf", "application/pdf", path: "v1/files?beta=true", betas: "prompt-caching-2024-07-31, " + FilesBeta);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnUploadWithoutTheFilesBetaIs400NamingIt()
    {
        using var response = await UploadAsync(SampleFiles.TinyPdf(), "a.pdf", "application/pdf", betas: null);

        (await RefusedAsync(response)).ShouldContain(FilesBeta);
        _fake.FileUploads.ShouldBeEmpty();
    }

    [Fact]
    public async Task AnUploadIsAuthenticatedAsMessagesAre()
    {
        using var anonymous = await UploadAsync(SampleFiles.TinyPdf(), "a.pdf", "application/pdf", key: null);
        (await RefusedAsync(anonymous, HttpStatusCode.Unauthorized, "authentication_error")).ShouldBe("x-api-key header is required");

        using var bearer = await UploadAsync(SampleFiles.TinyPdf(), "a.pdf", "application/pdf", key: null, bearer: Key);
        bearer.StatusCode.ShouldBe(HttpStatusCode.OK);
        _fake.FileUploads.ShouldHaveSingleItem().ApiKey.ShouldBe(Key);
    }

    [Fact]
    public async Task AnUploadWithoutAFilePartIs400()
    {
        using var content = new MultipartFormDataContent { { new StringContent("user_data"), "purpose" } };

        using var response = await SendAsync(HttpMethod.Post, "v1/files", content, Key, FilesBeta);

        (await RefusedAsync(response)).ShouldBe("file: Field required");
    }

    [Fact]
    public async Task APartWithoutAContentTypeIsTypedByItsBytes()
    {
        using var response = await UploadAsync(SampleFiles.TinyJpeg(8, 8), "photo", contentType: null);

        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("mime_type").GetString().ShouldBe("image/jpeg");
    }

    [Fact]
    public async Task AFileIsSeenOnlyByTheKeyThatUploadedIt()
    {
        var id = await UploadedIdAsync(SampleFiles.TinyPng(40, 30), "a.png", "image/png");

        using var used = await PostAsync(Body(User(FileBlock("image", id))), key: OtherKey, betas: FilesBeta);
        (await RefusedAsync(used, HttpStatusCode.NotFound, "not_found_error")).ShouldBe($"messages.0.content.0.image.source.file.file_id: File not found: {id}");

        using var read = await SendAsync(HttpMethod.Get, $"v1/files/{id}", null, OtherKey, FilesBeta);
        (await RefusedAsync(read, HttpStatusCode.NotFound, "not_found_error")).ShouldBe($"File not found: {id}");

        using var deleted = await SendAsync(HttpMethod.Delete, $"v1/files/{id}", null, OtherKey, FilesBeta);
        await RefusedAsync(deleted, HttpStatusCode.NotFound, "not_found_error");

        using var listed = await SendAsync(HttpMethod.Get, "v1/files", null, OtherKey, FilesBeta);
        (await listed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("data").GetArrayLength().ShouldBe(0);

        using var own = await PostAsync(Body(User(FileBlock("image", id))), betas: FilesBeta);
        own.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ADeletedFileIsGone()
    {
        var id = await UploadedIdAsync(SampleFiles.TinyPdf(), "a.pdf", "application/pdf");
        using var read = await SendAsync(HttpMethod.Get, $"v1/files/{id}", null, Key, FilesBeta);
        (await read.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("filename").GetString().ShouldBe("a.pdf");

        using var deleted = await SendAsync(HttpMethod.Delete, $"v1/files/{id}", null, Key, FilesBeta);
        deleted.StatusCode.ShouldBe(HttpStatusCode.OK);
        var answer = await deleted.Content.ReadFromJsonAsync<JsonElement>(Ct);
        answer.GetProperty("id").GetString().ShouldBe(id);
        answer.GetProperty("type").GetString().ShouldBe("file_deleted");

        using var again = await SendAsync(HttpMethod.Delete, $"v1/files/{id}", null, Key, FilesBeta);
        await RefusedAsync(again, HttpStatusCode.NotFound, "not_found_error");
        using var used = await PostAsync(Body(User(FileBlock("document", id))), betas: FilesBeta);
        await RefusedAsync(used, HttpStatusCode.NotFound, "not_found_error");
        _fake.FileUploads.ShouldHaveSingleItem("the log of uploads keeps deleted files");
    }

    [Theory]
    [InlineData(403, "permission_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(529, "overloaded_error")]
    public async Task AScenarioCanMakeTheFilesApiRefuse(int status, string type)
    {
        _fake.SetScenario(Key, new FakeScenario { FilesApiStatus = status });

        using var response = await UploadAsync(SampleFiles.TinyPng(40, 30), "a.png", "image/png");

        await RefusedAsync(response, (HttpStatusCode)status, type);
        _fake.FileRequests.ShouldHaveSingleItem("the attempt is recorded");
        _fake.FileUploads.ShouldBeEmpty();

        using var inline = await PostAsync(Body(User(Base64Block("image", "image/png", SampleFiles.TinyPng(40, 30)))));
        inline.StatusCode.ShouldBe(HttpStatusCode.OK, "base64 still works");
    }

    // ---- What the Messages API refuses ----

    public static TheoryData<string, int, string, string> Refusals => new()
    {
        { "bmp media type", 400, "invalid_request_error", "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'" },
        { "not base64", 400, "invalid_request_error", "messages.0.content.0.image.source.base64: invalid base64 data" },
        { "jpeg sent as png", 400, "invalid_request_error", "messages.0.content.0.image.source.base64: The image was specified using the image/png media type, but the image appears to be a image/jpeg image" },
        { "pdf sent as png", 400, "invalid_request_error", "messages.0.content.0.image.source.base64.data: Image does not match the provided media type image/png" },
        { "image over 5 MB", 400, "invalid_request_error", "messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes" },
        { "image over 8000 px", 400, "invalid_request_error", "messages.0.content.0.image.source.base64.data: At least one of the image dimensions exceed max allowed size: 8000 pixels" },
        { "pdf without %PDF-", 400, "invalid_request_error", "messages.0.content.0.pdf.source.base64.data: The PDF specified was not valid." },
        { "text/plain as base64 document", 400, "invalid_request_error", "messages.0.content.0.document.source.base64.media_type: Input should be 'application/pdf'" },
        { "no source", 400, "invalid_request_error", "messages.0.content.0.image.source: Field required" },
        { "no data", 400, "invalid_request_error", "messages.0.content.0.document.source.base64.data: Field required" },
        { "no file_id", 400, "invalid_request_error", "messages.0.content.0.image.source.file.file_id: Field required" },
        { "unknown file_id", 404, "not_found_error", "messages.0.content.0.image.source.file.file_id: File not found: file_011CNoSuchFile" },
        { "file_id without the beta", 400, "invalid_request_error", "messages.0.content.0.image.source: Input tag 'file' found using 'type' does not match any of the expected tags: 'base64', 'url'" },
        { "image in an assistant turn", 400, "invalid_request_error", "messages.1.content: 'image' blocks are not permitted within assistant turns." },
        { "pdf file in an image block", 400, "invalid_request_error", "messages.0.content.0.image.source.file: File type 'application/pdf' does not match the content block type 'image'" },
        { "png file in a document block", 400, "invalid_request_error", "messages.0.content.0.document.source.file: File type 'image/png' does not match the content block type 'document'" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task AMalformedAttachmentIsRefusedAsAnthropicRefusesIt(string problem, int status, string type, string message)
    {
        var body = await RefusedBodyAsync(problem);
        var betas = problem == "file_id without the beta" ? null : FilesBeta;

        using var messages = await PostAsync(body, betas: betas);
        (await RefusedAsync(messages, (HttpStatusCode)status, type)).ShouldBe(message);

        using var count = await PostAsync(CountBody(body), path: "v1/messages/count_tokens", betas: betas);
        (await RefusedAsync(count, (HttpStatusCode)status, type)).ShouldBe(message, "count_tokens reads the same content");
    }

    [Fact]
    public async Task ManyImagesMayNotExceed2000Pixels()
    {
        var blocks = Enumerable.Range(0, 21).Select(_ => Base64Block("image", "image/png", SampleFiles.TinyPng(10, 10))).ToList();
        blocks[20] = Base64Block("image", "image/png", SampleFiles.TinyPng(2001, 10));

        using var response = await PostAsync(Body(User([.. blocks])));

        (await RefusedAsync(response)).ShouldBe(
            "messages.0.content.20.image.source.base64.data: At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels");
    }

    [Fact]
    public async Task ARequestOver32MBIs413RequestTooLarge()
    {
        var body = Body(User(Text(new string('a', 33 * 1024 * 1024))));

        using var response = await PostAsync(body);

        (await RefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large")).ShouldBe("Request exceeds the maximum allowed number of bytes.");
    }

    // ---- Tokens ----

    [Theory]
    [InlineData(40, 30, 2)] // 1200 / 750 = 1.6, rounded up
    [InlineData(200, 200, 54)] // the vision docs' table: ~54
    [InlineData(1000, 1000, 1334)] // ~1334
    [InlineData(1092, 1092, 1590)] // ~1590, the largest square not scaled
    [InlineData(5000, 5000, 1599)] // scaled to 1568 a side, then to at most 1,600 tokens
    [InlineData(3136, 400, 419)] // long edge halved to 1568: 1568 x 200
    public void AnImageCostsWidthTimesHeightOver750AfterScaling(int width, int height, int tokens) =>
        FakeTokens.ImageTokens(width, height).ShouldBe(tokens);

    [Fact]
    public async Task CountTokensCountsAnImageByItsPixelsAndAPdfByItsPages()
    {
        var body = Body(User(Base64Block("image", "image/png", SampleFiles.TinyPng(40, 30)), Base64Block("document", "application/pdf", SampleFiles.TinyPdf(3)), Text("Describe both")));

        using var response = await PostAsync(CountBody(body), path: "v1/messages/count_tokens");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("input_tokens").GetInt32().ShouldBe(2 + 3 * FakeTokens.PdfPageTokens + 2);
        FakeTokens.PdfPageTokens.ShouldBe(3100);
    }

    [Fact]
    public async Task CountTokensAndMessageStartAgreeForFilesAndInlineAttachments()
    {
        var id = await UploadedIdAsync(SampleFiles.TinyWebp(3000, 1500), "wide.webp", "image/webp");
        var body = Body(User(FileBlock("image", id), Base64Block("document", "application/pdf", SampleFiles.TinyPdf(2)), Text("Two things to read")));

        using var count = await PostAsync(CountBody(body), path: "v1/messages/count_tokens", betas: FilesBeta);
        var counted = (await count.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("input_tokens").GetInt32();
        using var reply = await PostAsync(body, betas: FilesBeta);
        var start = (await EventsAsync(reply)).First(e => e.EventType == "message_start");

        counted.ShouldBe(FakeTokens.ImageTokens(3000, 1500) + 2 * FakeTokens.PdfPageTokens + 4);
        JsonDocument.Parse(start.Data).RootElement.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt32().ShouldBe(counted);
        _fake.Requests.ShouldHaveSingleItem().Attachments.Sum(a => a.Tokens).ShouldBe(counted - 4);
    }

    [Fact]
    public void APdfsPagesAreItsPageObjectsNotItsPageTree()
    {
        var pdf = Encoding.ASCII.GetString(SampleFiles.TinyPdf(3));

        pdf.ShouldContain("/Type /Pages");
        pdf.Split("/Type /Page").Length.ShouldBe(1 + 3 + 1, "three pages and the /Pages node");
    }

    // ---- Helpers ----

    private async Task<JsonObject> RefusedBodyAsync(string problem)
    {
        var png = SampleFiles.TinyPng(40, 30);
        return problem switch
        {
            "bmp media type" => Body(User(Base64Block("image", "image/bmp", png))),
            "not base64" => Body(User(new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = "image/png", ["data"] = "not base64!" } })),
            "jpeg sent as png" => Body(User(Base64Block("image", "image/png", SampleFiles.TinyJpeg(40, 30)))),
            "pdf sent as png" => Body(User(Base64Block("image", "image/png", SampleFiles.TinyPdf()))),
            "image over 5 MB" => Body(User(Base64Block("image", "image/png", SampleFiles.PadTo(png, 3_932_161)))), // base64: 5,242,884 characters
            "image over 8000 px" => Body(User(Base64Block("image", "image/png", SampleFiles.TinyPng(8001, 2)))),
            "pdf without %PDF-" => Body(User(Base64Block("document", "application/pdf", Encoding.ASCII.GetBytes("Hello, not a PDF")))),
            "text/plain as base64 document" => Body(User(Base64Block("document", "text/plain", Encoding.ASCII.GetBytes("Hello")))),
            "no source" => Body(User(new JsonObject { ["type"] = "image" })),
            "no data" => Body(User(new JsonObject { ["type"] = "document", ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = "application/pdf" } })),
            "no file_id" => Body(User(new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "file" } })),
            "unknown file_id" => Body(User(FileBlock("image", "file_011CNoSuchFile"))),
            "file_id without the beta" => Body(User(FileBlock("image", await UploadedIdAsync(png, "a.png", "image/png")))),
            "image in an assistant turn" => AssistantImage(png),
            "pdf file in an image block" => Body(User(FileBlock("image", await UploadedIdAsync(SampleFiles.TinyPdf(), "a.pdf", "application/pdf")))),
            "png file in a document block" => Body(User(FileBlock("document", await UploadedIdAsync(png, "a.png", "image/png")))),
            _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, null),
        };
    }

    private static JsonObject AssistantImage(byte[] png)
    {
        var body = Body(User(Text("Draw me something")));
        body["messages"]!.AsArray().Add(new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(Base64Block("image", "image/png", png)) });
        body["messages"]!.AsArray().Add(User(Text("Thanks")));
        return body;
    }

    private static byte[] Image(string mediaType, int width, int height) => mediaType switch
    {
        "image/png" => SampleFiles.TinyPng(width, height),
        "image/jpeg" => SampleFiles.TinyJpeg(width, height),
        "image/gif" => SampleFiles.TinyGif(width, height),
        _ => SampleFiles.TinyWebp(width, height),
    };

    private static JsonObject Body(JsonObject user) => new()
    {
        ["model"] = Model,
        ["max_tokens"] = 1024,
        ["stream"] = true,
        ["messages"] = new JsonArray(user),
    };

    private static JsonObject CountBody(JsonObject body)
    {
        var count = body.DeepClone().AsObject();
        count.Remove("max_tokens");
        count.Remove("stream");
        return count;
    }

    private static JsonObject User(params JsonObject[] blocks) => new() { ["role"] = "user", ["content"] = new JsonArray([.. blocks]) };

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    private static JsonObject Base64Block(string type, string mediaType, byte[] data) => new()
    {
        ["type"] = type,
        ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = mediaType, ["data"] = Convert.ToBase64String(data) },
    };

    private static JsonObject FileBlock(string type, string fileId) => new()
    {
        ["type"] = type,
        ["source"] = new JsonObject { ["type"] = "file", ["file_id"] = fileId },
    };

    private Task<HttpResponseMessage> PostAsync(JsonObject body, string path = "v1/messages", string? key = Key, string? betas = null) =>
        SendAsync(HttpMethod.Post, path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), key, betas);

    private Task<HttpResponseMessage> UploadAsync(
        byte[] bytes, string filename, string? contentType, string path = "v1/files", string? key = Key, string? betas = FilesBeta, string? bearer = null)
    {
        var file = new ByteArrayContent(bytes);
        if (contentType is not null) file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var form = new MultipartFormDataContent { { file, "file", filename } };
        return SendAsync(HttpMethod.Post, path, form, key, betas, bearer);
    }

    private async Task<string> UploadedIdAsync(byte[] bytes, string filename, string contentType)
    {
        using var response = await UploadAsync(bytes, filename, contentType);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string? key, string? betas, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(_fake.BaseUrl, path)) { Content = content };
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (key is not null) request.Headers.Add("x-api-key", key);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (betas is not null) request.Headers.Add("anthropic-beta", betas);
        return await _http.SendAsync(request, Ct);
    }

    /// <summary>Anthropic's error shape: the status, <c>{"type":"error","error":{type,message},"request_id"}</c>, the same id in the header; returns the message.</summary>
    private static async Task<string> RefusedAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest, string type = "invalid_request_error")
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        response.StatusCode.ShouldBe(status, body.ToString());
        body.GetProperty("type").GetString().ShouldBe("error");
        body.GetProperty("error").GetProperty("type").GetString().ShouldBe(type);
        var requestId = body.GetProperty("request_id").GetString()!;
        requestId.ShouldStartWith("req_");
        response.Headers.GetValues("request-id").ShouldBe([requestId]);
        return body.GetProperty("error").GetProperty("message").GetString()!;
    }

    private static async Task<List<SseItem<string>>> EventsAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
            throw new ShouldAssertException($"Expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        await using var stream = await response.Content.ReadAsStreamAsync(Ct);
        var events = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(Ct)) events.Add(item);
        events.Last().EventType.ShouldBe("message_stop");
        return events;
    }

    private static List<string> TextDeltas(List<SseItem<string>> events) =>
    [
        .. events.Where(e => e.EventType == "content_block_delta")
            .Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("delta"))
            .Where(d => d.GetProperty("type").GetString() == "text_delta")
            .Select(d => d.GetProperty("text").GetString()!),
    ];

    private static async Task<string> ReplyTextAsync(HttpResponseMessage response) => string.Concat(TextDeltas(await EventsAsync(response)));
}
