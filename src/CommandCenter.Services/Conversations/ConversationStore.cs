using CommandCenter.Services.Data;
using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Conversations;

public sealed record ConversationSummary(
    string Id, string Title, string AgentId, bool Archived, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int MessageCount, decimal TotalCost);

public sealed record MessageView(
    string Id, int Position, string Role, string Content, string Status, int InputTokens, int OutputTokens,
    int CacheWriteTokens, int CacheReadTokens, decimal? Cost, decimal CacheSavings, string? StopReason, string? Error, string? TraceId,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, bool CostEstimated, int WebSearchRequests = 0, decimal ToolFees = 0m, ReplyActivity? Activity = null,
    int? ThinkingTokens = null, string? ReplyToId = null, bool Superseded = false, ClassCosts? Costs = null, string? VersionOfId = null,
    IReadOnlyList<AttachmentView>? Attachments = null);

/// <summary>A file a message carries; <see cref="Removed"/> once its owner deleted it (the name stays readable).</summary>
public sealed record AttachmentView(string Id, string Name, string MediaType, long Bytes, bool Removed);

public sealed record ConversationDetail(ConversationSummary Conversation, IReadOnlyList<MessageView> Messages);

public sealed record ConversationPage(IReadOnlyList<ConversationSummary> Items, int Page, int PageSize, int Total);

/// <summary>What a rename or (un)archive changes; a field left null stays as it is.</summary>
public sealed record ConversationUpdate(
    [property: StorableText, MinLength(1, ErrorMessage = "The title must be 1 to 200 characters."),
        RegularExpression(@"(?s).*\S.*", ErrorMessage = "The title must be 1 to 200 characters."),
        TrimmedMaxLength(ConversationStore.MaxTitleLength, ErrorMessage = "The title must be 1 to 200 characters.")]
    string? Title,
    bool? Archived);

/// <summary>The caller's conversations; another user's conversation is indistinguishable from a missing one.</summary>
public sealed class ConversationStore(IDbContextFactory<CommandCenterDbContext> dbFactory)
{
    public const int MaxPageSize = 100;
    public const int MaxPage = 1_000_000;
    public const int MaxSearchLength = 500;
    public const int MaxTitleLength = 200;

    // A conversation with its message count and total cost, computed by the database. A reply still being written
    // counts once it ends, as its cost line does: until then only the start's usage is stored.
    private static readonly System.Linq.Expressions.Expression<Func<Conversation, ConversationSummary>> Summary =
        c => new ConversationSummary(c.Id, c.Title, c.AgentId, c.Archived, c.CreatedAt, c.UpdatedAt, c.Messages.Count,
            c.Messages.Where(m => m.Status != MessageStatus.Streaming).Sum(m => m.Cost ?? 0m));

    /// <param name="search">Matched case-insensitively against titles and message text.</param>
    /// <exception cref="InvalidInputException">The page or its size is out of range, or the search text cannot be stored.</exception>
    public async Task<ConversationPage> ListAsync(string ownerId, int page = 1, int pageSize = 30, string? search = null, bool includeArchived = false, CancellationToken ct = default)
    {
        if (page is < 1 or > MaxPage)
        {
            throw InvalidInputException.For("page", $"The page must be between 1 and {MaxPage}.");
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            throw InvalidInputException.For("pageSize", $"The page size must be between 1 and {MaxPageSize}.");
        }

        if (search is not null && (!StorableTextAttribute.IsStorable(search) || search.Length > MaxSearchLength))
        {
            throw InvalidInputException.For("search", $"The search text is at most {MaxSearchLength} characters, without NUL.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Conversations.AsNoTracking().Where(c => c.OwnerId == ownerId && (includeArchived || !c.Archived));
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = $"%{EscapeLike(search.Trim())}%";
            query = query.Where(c => EF.Functions.ILike(c.Title, pattern, "\\") || c.Messages.Any(m => EF.Functions.ILike(m.Content, pattern, "\\")));
        }

        var total = await query.CountAsync(ct);
        var items = await query
            .OrderByDescending(c => c.UpdatedAt).ThenByDescending(c => c.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .Select(Summary)
            .ToListAsync(ct);
        return new ConversationPage(items, page, pageSize, total);
    }

    public async Task<ConversationDetail?> GetAsync(string ownerId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var summary = await db.Conversations.AsNoTracking().Where(c => c.Id == id && c.OwnerId == ownerId)
            .Select(Summary)
            .SingleOrDefaultAsync(ct);
        if (summary is null)
        {
            return null;
        }

        var rows = await db.Messages.AsNoTracking().Where(m => m.ConversationId == id).OrderBy(m => m.Position)
            .Select(m => new
            {
                Message = m,
                // Each class at the rates its call was charged (what its cache reads saved too), and its tool fees, over all its calls.
                Calls = m.Role == MessageRole.Assistant
                    ? db.TraceSessions.Where(s => s.TaskTraceId == m.TaskTraceId)
                        .GroupBy(s => s.TaskTraceId)
                        .Select(g => new
                        {
                            Input = g.Sum(s => s.TokensIn * s.InputPricePerMTok), Write5m = g.Sum(s => s.CacheWriteTokens * s.CacheWrite5mPricePerMTok),
                            Write1h = g.Sum(s => s.CacheWrite1hTokens * s.CacheWrite1hPricePerMTok), Read = g.Sum(s => s.CacheReadTokens * s.CacheReadPricePerMTok),
                            Output = g.Sum(s => s.TokensOut * s.OutputPricePerMTok), ReadAsInput = g.Sum(s => s.CacheReadTokens * s.InputPricePerMTok),
                            WebSearchRequests = g.Sum(s => s.WebSearchRequests), ToolFees = g.Sum(s => s.ToolFees), ThinkingTokens = g.Sum(s => s.ThinkingTokens),
                        })
                        .FirstOrDefault()
                    : null,
            })
            .ToListAsync(ct);
        var fileIds = rows.SelectMany(r => r.Message.Attachments ?? []).Select(a => a.Id).ToHashSet();
        var stored = await Files.FileStore.ExistingAsync(db, fileIds, ct);
        var messages = rows.Select(r =>
        {
            var m = r.Message;
            var reply = r.Calls;
            var costs = reply is null ? (ClassCosts?)null : new ClassCosts(
                PerMillion(reply.Input), PerMillion(reply.Write5m), PerMillion(reply.Write1h), PerMillion(reply.Read), PerMillion(reply.Output));
            var savings = reply is null ? 0m : PerMillion(reply.ReadAsInput - reply.Read);
            return new MessageView(m.Id, m.Position, m.Role, m.Content, m.Status, m.InputTokens, m.OutputTokens, m.CacheWriteTokens,
                m.CacheReadTokens, m.Cost, savings, m.StopReason, m.Error, m.TaskTraceId, m.CreatedAt, m.CompletedAt, m.CostEstimated,
                reply?.WebSearchRequests ?? 0, reply?.ToolFees ?? 0m, m.Activity, reply?.ThinkingTokens, m.ReplyToId, m.Superseded, costs, m.VersionOfId,
                m.Attachments?.Select(a => new AttachmentView(a.Id, a.Name, a.MediaType, a.Bytes, !stored.Contains(a.Id))).ToList());
        }).ToList();
        return new ConversationDetail(summary, messages);
    }

    /// <summary>
    /// Makes a message of the last turn the one the conversation goes on from: what the next message sends upstream.
    /// A reply to the last question becomes its current reply (the others its siblings). A version of the last question
    /// (an edit, or the one it edited) becomes the current question with the reply it had when it was set aside; the
    /// version it replaces is set aside with its own. Only while nothing in the conversation is being written.
    /// </summary>
    /// <returns>False when there is no such message of the caller's.</returns>
    /// <exception cref="InvalidInputException">It is not of the conversation's last turn.</exception>
    /// <exception cref="Streaming.StreamStartException">A reply in the conversation is being written.</exception>
    public async Task<bool> ChooseAsync(string ownerId, string messageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conversationId = await db.Messages.Where(m => m.Id == messageId)
            .Where(m => db.Conversations.Any(c => c.Id == m.ConversationId && c.OwnerId == ownerId))
            .Select(m => m.ConversationId).SingleOrDefaultAsync(ct);
        if (conversationId is null)
        {
            return false;
        }

        var history = await db.Messages.Where(m => m.ConversationId == conversationId).OrderBy(m => m.Position).ToListAsync(ct);
        var question = history.LastOrDefault(m => m is { Role: MessageRole.User, Superseded: false });
        var chosen = history.Single(m => m.Id == messageId);
        var ofLastTurn = question is not null && (chosen.Role == MessageRole.User
            ? (chosen.VersionOfId ?? chosen.Id) == (question.VersionOfId ?? question.Id)
            : LastTurn.Answers(chosen, question));
        if (question is null || !ofLastTurn)
        {
            throw InvalidInputException.For("messageId", chosen.Role == MessageRole.User
                ? "Only a version of the conversation's last message can be chosen."
                : "Only a reply to the conversation's last message can be chosen.");
        }

        if (history.Any(m => m.Status == MessageStatus.Streaming))
        {
            throw Streaming.StreamStartException.ConversationBusy();
        }

        if (chosen.Role == MessageRole.Assistant)
        {
            foreach (var sibling in RepliesTo(history, question))
            {
                sibling.Superseded = sibling != chosen;
            }
        }
        else if (chosen != question)
        {
            // The current version is set aside with its reply, which comes back with it if it is chosen again.
            var current = RepliesTo(history, question).LastOrDefault(m => !m.Superseded);
            question.Superseded = true;
            question.ChosenReplyId = current?.Id;
            current?.Superseded = true;

            // The chosen version's reply as it was when it was set aside; for one set aside before that was kept, its newest.
            var replies = RepliesTo(history, chosen);
            var reply = replies.FirstOrDefault(m => m.Id == chosen.ChosenReplyId) ?? replies.LastOrDefault();
            chosen.Superseded = false;
            chosen.ChosenReplyId = null;
            reply?.Superseded = false;
        }

        await db.SaveChangesAsync(ct);
        return true;
    }

    private static List<Message> RepliesTo(List<Message> history, Message question) =>
        history.Where(m => m.Role == MessageRole.Assistant && LastTurn.Answers(m, question)).ToList();

    /// <summary>The status of one of the caller's messages and its conversation, as stored.</summary>
    public async Task<(string Status, string ConversationId)?> FindMessageAsync(string ownerId, string messageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var found = await db.Messages.AsNoTracking()
            .Where(m => m.Id == messageId && db.Conversations.Any(c => c.Id == m.ConversationId && c.OwnerId == ownerId))
            .Select(m => new { m.Status, m.ConversationId })
            .SingleOrDefaultAsync(ct);
        return found is null ? null : (found.Status, found.ConversationId);
    }

    /// <returns>False when the conversation is not the caller's.</returns>
    /// <exception cref="InvalidInputException">The title breaks a rule; nothing was changed.</exception>
    public async Task<bool> UpdateAsync(string ownerId, string id, ConversationUpdate update, CancellationToken ct = default)
    {
        InvalidInputException.ThrowIfInvalid(update);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conversation = await db.Conversations.SingleOrDefaultAsync(c => c.Id == id && c.OwnerId == ownerId, ct);
        if (conversation is null)
        {
            return false;
        }

        if (update.Title is { } title)
        {
            conversation.Title = title.Trim();
        }

        // Not a new activity: the list keeps its place (it is ordered by the last message).
        conversation.Archived = update.Archived ?? conversation.Archived;
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Deletes a conversation with its messages, and the files they carried that no other message carries.</summary>
    public async Task<bool> DeleteAsync(string ownerId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var attached = await db.Messages.AsNoTracking()
            .Where(m => m.ConversationId == id && m.Attachments != null && db.Conversations.Any(c => c.Id == id && c.OwnerId == ownerId))
            .Select(m => m.Attachments)
            .ToListAsync(ct);
        // Traces stay: they are the audit record of what was spent, conversation or not.
        if (await db.Conversations.Where(c => c.Id == id && c.OwnerId == ownerId).ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }

        await Files.FileStore.DeleteUnusedAsync(db, ownerId, attached.SelectMany(a => a!).Select(a => a.Id).ToHashSet(), ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private static decimal PerMillion(decimal tokensTimesRate) => CostCalculator.Round(tokensTimesRate / 1_000_000m);

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
