using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CommandCenter.FakeAnthropic;

/// <summary>
/// The Files API (beta) as Anthropic answers it: <c>POST /v1/files</c> (multipart/form-data, one <c>file</c> part; also
/// <c>/v1/files?beta=true</c>), <c>GET /v1/files</c>, <c>GET</c> and <c>DELETE /v1/files/{file_id}</c>, authenticated as
/// <c>/v1/messages</c> is and behind the <c>files-api-2025-04-14</c> beta. A file belongs to the key that uploaded it.
/// https://platform.claude.com/docs/en/build-with-claude/files, https://platform.claude.com/docs/en/api/files-create
/// </summary>
internal sealed class FilesHandler(FakeFileStore store)
{
    public const string Path = "/v1/files";

    /// <summary>The Files API's beta, which a request must name to upload, list, read or delete a file, or to send one by <c>file_id</c>.</summary>
    public const string Beta = "files-api-2025-04-14";

    /// <summary>The largest Files API request (https://platform.claude.com/docs/en/api/errors, request size limits: 500 MB).</summary>
    public const long MaxRequestBytes = 500L * 1024 * 1024;

    public static bool Handles(string path) => path == Path || path.StartsWith(Path + "/", StringComparison.Ordinal);

    public async Task RespondAsync(HttpContext context, RecordedRequest request, FakeScenario scenario, string requestId, CancellationToken ct)
    {
        var (status, answer) = await AnswerAsync(context, request, scenario, ct);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers["request-id"] = requestId;
        if (status != StatusCodes.Status200OK) answer["request_id"] = requestId;
        await response.WriteAsync(answer.ToJsonString(MessagesHandler.JsonOptions), ct);
    }

    private async Task<(int Status, JsonObject Body)> AnswerAsync(HttpContext context, RecordedRequest request, FakeScenario scenario, CancellationToken ct)
    {
        var upload = request.Upload;
        request.Upload = null; // the bytes live on in the stored file, not in the log of requests
        var id = request.Path.Length > Path.Length + 1 ? request.Path[(Path.Length + 1)..] : null;
        var method = request.Method;
        var routed = id is null
            ? HttpMethods.IsPost(method) || HttpMethods.IsGet(method)
            : !id.Contains('/') && (HttpMethods.IsGet(method) || HttpMethods.IsDelete(method));
        if (!routed)
            return Error(404, "not_found_error", MessagesHandler.NotFoundMessage);
        if (request.ApiKey is not { } key)
            return Error(401, "authentication_error", "x-api-key header is required");
        if (!request.Headers.TryGetValue("anthropic-version", out var version))
            return Error(400, "invalid_request_error", "anthropic-version: header is required");
        if (!MessagesHandler.SupportedVersions.Contains(version))
            return Error(400, "invalid_request_error", $"anthropic-version: invalid version '{version}'");
        // Every Files API call names the beta (the docs' examples, and the SDKs, send it on each one). The wording is the fake's.
        if (!request.HasBeta(Beta))
            return Error(400, "invalid_request_error", $"The Files API is in beta: send the header 'anthropic-beta: {Beta}'");
        if (scenario.FilesApiStatus is { } refused)
            return Error(refused, MessagesHandler.ErrorTypeFor(refused), MessagesHandler.ErrorMessageFor(refused));

        if (HttpMethods.IsPost(method)) return await UploadAsync(context, key, upload ?? [], ct);
        if (id is null)
        {
            var listed = store.ListFor(key);
            return (200, new JsonObject
            {
                ["data"] = new JsonArray([.. listed.Select(f => (JsonNode)Metadata(f))]),
                ["first_id"] = listed.FirstOrDefault()?.Id,
                ["last_id"] = listed.LastOrDefault()?.Id,
                ["has_more"] = false,
            });
        }
        if (store.Find(key, id) is not { } file)
            return Error(404, "not_found_error", $"File not found: {id}");
        if (HttpMethods.IsGet(method)) return (200, Metadata(file));
        store.Delete(key, id);
        return (200, new JsonObject { ["id"] = id, ["type"] = "file_deleted" });
    }

    private async Task<(int, JsonObject)> UploadAsync(HttpContext context, string key, byte[] body, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
            return Error(400, "invalid_request_error", "There was an issue with your request body: it is not multipart/form-data");

        (string Name, string? MimeType, byte[] Content)? part;
        try
        {
            part = await FilePartAsync(boundary, body, ct);
        }
        catch (IOException)
        {
            return Error(400, "invalid_request_error", "There was an issue with your request body: it is not valid multipart/form-data");
        }
        if (part is not var (filename, partType, content))
            return Error(400, "invalid_request_error", "file: Field required");
        // https://platform.claude.com/docs/en/api/files-create: a filename of 1–500 characters, a MIME type of 1–255.
        if (filename.Length is 0 or > 500)
            return Error(400, "invalid_request_error", "file: the filename must be 1 to 500 characters");

        var file = new FakeFileUpload
        {
            ApiKey = key,
            Id = "file_011C" + MessagesHandler.RandomId(20),
            Filename = filename,
            MimeType = partType is { Length: > 0 and <= 255 } and not "application/octet-stream" ? partType : Sniff(content, filename),
            Content = content,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        store.Add(file);
        return (200, Metadata(file));
    }

    /// <summary>The first part named <c>file</c> with a filename: its name, its <c>Content-Type</c> (no parameters) and its bytes.</summary>
    private static async Task<(string, string?, byte[])?> FilePartAsync(string boundary, byte[] body, CancellationToken ct)
    {
        var reader = new MultipartReader(boundary, new MemoryStream(body));
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || HeaderUtilities.RemoveQuotes(disposition.Name).Value != "file"
                || (HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value ?? HeaderUtilities.RemoveQuotes(disposition.FileName).Value) is not { } name)
                continue;
            using var content = new MemoryStream();
            await section.Body.CopyToAsync(content, ct);
            var type = MediaTypeHeaderValue.TryParse(section.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;
            return (name, type, content.ToArray());
        }
        return null;
    }

    /// <summary>A part without a type gets the one its bytes show, else one from its name's extension.</summary>
    private static string Sniff(byte[] content, string filename) =>
        FakeMedia.Sniff(content) ?? System.IO.Path.GetExtension(filename).ToLowerInvariant() switch
        {
            ".txt" => FakeMedia.PlainText,
            ".md" => "text/markdown",
            ".csv" => "text/csv",
            ".json" => "application/json",
            _ => "application/octet-stream",
        };

    private static JsonObject Metadata(FakeFileUpload file) => new()
    {
        ["id"] = file.Id,
        ["created_at"] = file.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"),
        ["filename"] = file.Filename,
        ["mime_type"] = file.MimeType,
        ["size_bytes"] = file.SizeBytes,
        ["type"] = "file",
        ["downloadable"] = false,
    };

    private static (int, JsonObject) Error(int status, string type, string message) =>
        (status, new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } });
}
