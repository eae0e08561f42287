using System.Security.Claims;
using CommandCenter.Services.Files;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CommandCenter.Web.Files;

/// <summary>
/// <c>/api/files</c>: attachments, uploaded one per request and sent with a message by id. Pages read the same files at
/// <c>/files/{id}</c> with their sign-in cookie (thumbnails, opening a PDF).
/// </summary>
internal static class FilesApi
{
    // Room for the multipart framing around the largest file allowed; the file itself is held to its own limit.
    private const long MultipartOverhead = 64 * 1024;

    public static RouteGroupBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var limits = app.ServiceProvider.GetRequiredService<IOptions<FilesOptions>>().Value;
        var api = app.MapGroup("/api/files").RequireAuthorization(AuthPolicies.ApiOrIntegrationKey);
        // Bearer and integration-key callers only: a form post cannot carry their credentials across sites.
        api.MapPost("/", Upload).DisableAntiforgery().WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(limits.MaxBytes + MultipartOverhead));
        api.MapGet("/{id}", Download);
        api.MapDelete("/{id}", Delete);
        app.MapGet("/files/{id}", Download).RequireAuthorization();
        return api;
    }

    private static async Task<Results<Created<FileSummary>, ProblemHttpResult>> Upload(IFormFile? file, ClaimsPrincipal user, FileStore files, CancellationToken ct)
    {
        if (file is null)
        {
            return ApiProblems.Error(StatusCodes.Status400BadRequest, "Send the file as multipart/form-data in a part named \"file\".");
        }

        await using var content = file.OpenReadStream();
        var stored = await files.SaveAsync(user.UserId(), file.FileName, content, ct);
        return TypedResults.Created($"/api/files/{stored.Id}", stored);
    }

    /// <summary>The file's bytes, shown in the browser (an image, a PDF) under its own name; its owner's or, for audit, an admin's.</summary>
    private static async Task<IResult> Download(string id, ClaimsPrincipal user, FileStore files, HttpContext context, CancellationToken ct)
    {
        if (await files.ReadAsync(user.UserId(), user.VisibleOwnerId() is null, id, ct) is not var (file, content))
        {
            return NotFound(id);
        }

        var disposition = new ContentDispositionHeaderValue("inline");
        disposition.SetHttpFileName(file.Name);
        context.Response.Headers.ContentDisposition = disposition.ToString();
        context.Response.Headers.CacheControl = "private, max-age=86400";
        return TypedResults.File(content, file.MediaType, entityTag: new EntityTagHeaderValue($"\"{file.Sha256}\""));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, ClaimsPrincipal user, FileStore files, CancellationToken ct) =>
        await files.DeleteAsync(user.UserId(), id, ct) ? TypedResults.NoContent() : NotFound(id);

    private static ProblemHttpResult NotFound(string id) => ApiProblems.Error(StatusCodes.Status404NotFound, $"File with ID {id} not found");
}
