using System.Security.Cryptography;
using CommandCenter.Services.Data;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommandCenter.Services.Files;

/// <summary>
/// Operators' files, in PostgreSQL. Only the owner reads or deletes one (an admin may read any, for audit); to anyone
/// else it does not exist. The same bytes uploaded again by the same owner are the same file.
/// </summary>
public sealed class FileStore(IDbContextFactory<CommandCenterDbContext> dbFactory, IOptions<FilesOptions> options, TimeProvider clock)
{
    public FilesOptions Limits => options.Value;

    /// <exception cref="InvalidInputException">No name, a NUL in it, too large, or not a type Claude reads; nothing was stored.</exception>
    public async Task<FileSummary> SaveAsync(string ownerId, string? name, Stream content, CancellationToken ct = default)
    {
        name = CheckName(name);
        var bytes = await ReadLimitedAsync(content, options.Value.MaxBytes, ct)
            ?? throw InvalidInputException.For("file", $"{name} is larger than {Size(options.Value.MaxBytes)}, the most a file may be.");
        return await SaveAsync(ownerId, name, bytes, ct);
    }

    /// <inheritdoc cref="SaveAsync(string, string?, Stream, CancellationToken)"/>
    public async Task<FileSummary> SaveAsync(string ownerId, string? name, byte[] bytes, CancellationToken ct = default)
    {
        (name, var sniffed) = Check(name, bytes, options.Value);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindSameAsync(db, ownerId, sha256, ct) is { } same)
        {
            return same;
        }

        var file = new StoredFile
        {
            Id = Ids.New(), OwnerId = ownerId, Name = name, MediaType = sniffed.MediaType, Bytes = bytes.LongLength, Sha256 = sha256,
            Width = sniffed.Width, Height = sniffed.Height, Pages = sniffed.Pages, Tokens = FileTokens.Estimate(sniffed), Content = bytes,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Files.Add(file);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // The same bytes uploaded twice at once: the other upload stored them.
            db.ChangeTracker.Clear();
            if (await FindSameAsync(db, ownerId, sha256, ct) is { } stored)
            {
                return stored;
            }

            throw;
        }

        return Summary(file);
    }

    /// <summary>A file's description, to its owner or an admin; null to anyone else.</summary>
    public async Task<FileSummary?> FindAsync(string userId, bool asAdmin, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Readable(db, userId, asAdmin, id).Select(f => new FileSummary(f.Id, f.Name, f.MediaType, f.Bytes, f.Sha256)).SingleOrDefaultAsync(ct);
    }

    /// <summary>A file and its bytes, to its owner or an admin; null to anyone else.</summary>
    public async Task<(FileSummary File, byte[] Content)?> ReadAsync(string userId, bool asAdmin, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var file = await Readable(db, userId, asAdmin, id).SingleOrDefaultAsync(ct);
        return file is null ? null : (Summary(file), file.Content);
    }

    /// <summary>Deletes one of the owner's files; messages that carried it keep its name, shown as removed.</summary>
    /// <returns>False when the owner has no such file.</returns>
    public async Task<bool> DeleteAsync(string ownerId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Files.Where(f => f.Id == id && f.OwnerId == ownerId).ExecuteDeleteAsync(ct) > 0;
    }

    /// <summary>The owner's files named by <paramref name="ids"/>, in that order, as a message carries them.</summary>
    /// <exception cref="InvalidInputException">Too many, repeated, or one the owner does not have.</exception>
    internal async Task<IReadOnlyList<Attachment>> AttachmentsAsync(CommandCenterDbContext db, string ownerId, IReadOnlyList<string>? ids, CancellationToken ct)
    {
        if (ids is not { Count: > 0 })
        {
            return [];
        }

        if (ids.Count > options.Value.MaxPerMessage)
        {
            throw InvalidInputException.For("attachments", $"A message carries at most {options.Value.MaxPerMessage} files.");
        }

        if (ids.Distinct().Count() != ids.Count)
        {
            throw InvalidInputException.For("attachments", "A file is attached twice.");
        }

        // An id that cannot be one (a NUL PostgreSQL would refuse, say) is simply not found.
        var invalid = ids.ToList().FindIndex(id => id is not { Length: > 0 and <= 64 } || !StorableTextAttribute.IsStorable(id));
        if (invalid >= 0)
        {
            throw InvalidInputException.For($"attachments[{invalid}]", "No such file.");
        }

        var found = await db.Files.AsNoTracking().Where(f => ids.Contains(f.Id) && f.OwnerId == ownerId)
            .Select(f => new Attachment(f.Id, f.Name, f.MediaType, f.Bytes, f.Tokens))
            .ToDictionaryAsync(f => f.Id, ct);
        return ids.Select((id, i) => found.GetValueOrDefault(id)
            ?? throw InvalidInputException.For($"attachments[{i}]", $"File with ID {id} not found.")).ToList();
    }

    /// <summary>Of <paramref name="ids"/>, the files that still exist.</summary>
    internal static async Task<IReadOnlySet<string>> ExistingAsync(CommandCenterDbContext db, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>();
        }

        return (await db.Files.Where(f => ids.Contains(f.Id)).Select(f => f.Id).ToListAsync(ct)).ToHashSet();
    }

    /// <summary>Deletes those of the owner's <paramref name="ids"/> that no message carries any more (a conversation was deleted).</summary>
    internal static Task<int> DeleteUnusedAsync(CommandCenterDbContext db, string ownerId, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return Task.FromResult(0);
        }

        var array = ids.ToArray();
        // jsonb containment, which the GIN index on messages.attachments answers.
        return db.Database.ExecuteSqlAsync($"""
            DELETE FROM files f WHERE f.id = ANY({array}) AND f."ownerId" = {ownerId}
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachments @> jsonb_build_array(jsonb_build_object('id', f.id)))
            """, ct);
    }

    internal static FileSummary Summary(StoredFile file) => new(file.Id, file.Name, file.MediaType, file.Bytes, file.Sha256);

    public static string Size(long bytes) => bytes switch
    {
        >= 1024 * 1024 => $"{bytes / (1024d * 1024):0.#} MB",
        >= 1024 => $"{bytes / 1024d:0.#} KB",
        _ => $"{bytes} bytes",
    };

    private static IQueryable<StoredFile> Readable(CommandCenterDbContext db, string userId, bool asAdmin, string id) =>
        db.Files.AsNoTracking().Where(f => f.Id == id && (asAdmin || f.OwnerId == userId));

    private static Task<FileSummary?> FindSameAsync(CommandCenterDbContext db, string ownerId, string sha256, CancellationToken ct) =>
        db.Files.AsNoTracking().Where(f => f.OwnerId == ownerId && f.Sha256 == sha256)
            .Select(f => new FileSummary(f.Id, f.Name, f.MediaType, f.Bytes, f.Sha256)).FirstOrDefaultAsync(ct);

    /// <summary>The name a file is stored under and what its bytes are, if the limits take it.</summary>
    /// <exception cref="InvalidInputException">The rule it breaks, naming the file.</exception>
    internal static (string Name, SniffedFile File) Check(string? name, byte[] bytes, FilesOptions limits)
    {
        name = CheckName(name);
        if (bytes.LongLength > limits.MaxBytes)
        {
            throw InvalidInputException.For("file", $"{name} is larger than {Size(limits.MaxBytes)}, the most a file may be.");
        }

        if (bytes.Length == 0)
        {
            throw InvalidInputException.For("file", $"{name} is empty.");
        }

        var sniffed = FileSniffer.Sniff(bytes)
            ?? throw InvalidInputException.For("file", $"{name} is not a PNG, JPEG, GIF, WebP or PDF file (judged by its content, not its name).");
        if (sniffed.IsImage && bytes.Length > FilesOptions.MaxImageBytes)
        {
            throw InvalidInputException.For("file", $"{name} is {Size(bytes.Length)}; Claude reads images up to {Size(FilesOptions.MaxImageBytes)}.");
        }

        if (sniffed.Width > FilesOptions.MaxImageSide || sniffed.Height > FilesOptions.MaxImageSide)
        {
            throw InvalidInputException.For("file", $"{name} is {sniffed.Width}×{sniffed.Height} px; Claude reads images up to {FilesOptions.MaxImageSide:N0} px a side.");
        }

        return (name, sniffed);
    }

    private static string CheckName(string? name)
    {
        // Browsers may send a path ("C:\fakepath\shot.png"); the name is its last part.
        name = name?.Split('/', '\\')[^1].Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw InvalidInputException.For("file", "The file needs a name.");
        }

        if (name.Contains('\0'))
        {
            throw InvalidInputException.For("file", "A file name cannot contain a NUL character.");
        }

        if (name.Length > FilesOptions.MaxNameLength)
        {
            throw InvalidInputException.For("file", $"A file name is at most {FilesOptions.MaxNameLength} characters long.");
        }

        return name;
    }

    /// <returns>Null when the content is longer than <paramref name="limit"/>.</returns>
    private static async Task<byte[]?> ReadLimitedAsync(Stream content, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await content.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
