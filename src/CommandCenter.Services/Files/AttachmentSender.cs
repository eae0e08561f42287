using System.Collections.Concurrent;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommandCenter.Services.Files;

/// <summary>A prompt's attachments as they go upstream: a block per file still stored, and how each went.</summary>
internal sealed record SentAttachments(IReadOnlyDictionary<string, WireAttachmentBlock> Blocks, IReadOnlyDictionary<string, string> SentAs, string? Beta)
{
    public static readonly SentAttachments None = new(new Dictionary<string, WireAttachmentBlock>(), new Dictionary<string, string>(), null);

    public string HowSent(string fileId) => SentAs.GetValueOrDefault(fileId, AttachmentTransport.Removed);
}

/// <summary>
/// Sends attachments upstream efficiently: each file is uploaded to Anthropic's Files API once per user key and later
/// turns name its <c>file_id</c>. When the Files API is off, or refuses, the bytes go inline as base64 instead.
/// </summary>
public sealed partial class AttachmentSender(AnthropicClient anthropic, IOptions<AnthropicOptions> options, TimeProvider clock, ILogger<AttachmentSender> logger)
{
    // Keys whose Files API refused an upload lately (by the key's version), so that every turn does not try again.
    private static readonly TimeSpan RefusalRemembered = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<(string OwnerId, DateTimeOffset KeyVersion), DateTimeOffset> _refused = new();

    internal async Task<SentAttachments> PrepareAsync(
        CommandCenterDbContext db, string ownerId, string apiKey, DateTimeOffset keyVersion, IReadOnlyList<Attachment> attachments, CancellationToken ct)
    {
        if (attachments.Count == 0)
        {
            return SentAttachments.None;
        }

        var ids = attachments.Select(a => a.Id).Distinct().ToList();
        var files = await db.Files.AsNoTracking().Where(f => ids.Contains(f.Id))
            .Select(f => new
            {
                f.Id, f.Name, f.MediaType,
                Copy = db.AnthropicFiles.Where(c => c.FileId == f.Id && c.KeyVersion == keyVersion).Select(c => c.AnthropicFileId).FirstOrDefault(),
            })
            .ToListAsync(ct);

        var blocks = new Dictionary<string, WireAttachmentBlock>();
        var sentAs = new Dictionary<string, string>();
        var filesApi = !string.IsNullOrEmpty(options.Value.FilesBeta);
        var mayUpload = filesApi && !RecentlyRefused(ownerId, keyVersion);
        foreach (var file in files)
        {
            var fileId = filesApi ? file.Copy : null;
            if (fileId is null && mayUpload)
            {
                fileId = await UploadAsync(db, ownerId, apiKey, keyVersion, file.Id, file.Name, file.MediaType, ct);
                mayUpload = fileId is not null;
            }

            if (fileId is not null)
            {
                blocks[file.Id] = WireAttachmentBlock.For(file.MediaType, WireAttachmentSource.File(fileId));
                sentAs[file.Id] = AttachmentTransport.FileId;
            }
        }

        var inline = files.Where(f => !blocks.ContainsKey(f.Id)).Select(f => f.Id).ToList();
        if (inline.Count > 0)
        {
            foreach (var file in await db.Files.AsNoTracking().Where(f => inline.Contains(f.Id)).Select(f => new { f.Id, f.MediaType, f.Content }).ToListAsync(ct))
            {
                blocks[file.Id] = WireAttachmentBlock.For(file.MediaType, WireAttachmentSource.Base64(file.MediaType, file.Content));
                sentAs[file.Id] = AttachmentTransport.Inline;
            }
        }

        return new SentAttachments(blocks, sentAs, sentAs.ContainsValue(AttachmentTransport.FileId) ? options.Value.FilesBeta : null);
    }

    /// <returns>The <c>file_id</c>, or null when the Files API refused (the file then goes inline).</returns>
    private async Task<string?> UploadAsync(
        CommandCenterDbContext db, string ownerId, string apiKey, DateTimeOffset keyVersion, string id, string name, string mediaType, CancellationToken ct)
    {
        var content = await db.Files.AsNoTracking().Where(f => f.Id == id).Select(f => f.Content).SingleAsync(ct);
        string fileId;
        try
        {
            fileId = await anthropic.UploadFileAsync(apiKey, name, mediaType, content, options.Value.FilesBeta!, ct);
        }
        catch (AnthropicApiException e)
        {
            LogUploadRefused(logger, e.StatusCode, e.ErrorType);
            _refused[(ownerId, keyVersion)] = clock.GetUtcNow() + RefusalRemembered;
            return null;
        }

        db.AnthropicFiles.Add(new AnthropicFileCopy { FileId = id, KeyVersion = keyVersion, AnthropicFileId = fileId, CreatedAt = clock.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation })
        {
            // Another reply uploaded it at the same moment (either copy serves), or the file was deleted meanwhile.
        }
        finally
        {
            db.ChangeTracker.Clear();
        }

        return fileId;
    }

    private bool RecentlyRefused(string ownerId, DateTimeOffset keyVersion) =>
        _refused.TryGetValue((ownerId, keyVersion), out var until) && (until > clock.GetUtcNow() || !_refused.TryRemove((ownerId, keyVersion), out _));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Anthropic's Files API refused an upload ({Status} {ErrorType}); attachments go inline for this key")]
    private static partial void LogUploadRefused(ILogger logger, int status, string errorType);
}
