using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Pricing;

/// <summary>
/// A price for a model from a date, as an admin adds it: all five rates (no class is derived from another), and
/// optionally a prompt-length tier with its own five.
/// </summary>
public sealed record PriceInput(
    [property: Required(AllowEmptyStrings = false, ErrorMessage = "The model name is required (at most 100 characters)."), StorableText,
        TrimmedMaxLength(100, ErrorMessage = "The model name is required (at most 100 characters).")]
    string? Model,
    [property: Required(ErrorMessage = "The input price per million tokens is required and cannot be negative."),
        Range(typeof(decimal), "0", "1000000", ErrorMessage = "The input price per million tokens is required and cannot be negative.")]
    decimal? InputPerMTok,
    [property: Required(ErrorMessage = "The output price per million tokens is required and cannot be negative."),
        Range(typeof(decimal), "0", "1000000", ErrorMessage = "The output price per million tokens is required and cannot be negative.")]
    decimal? OutputPerMTok,
    [property: Range(1, 100_000_000, ErrorMessage = "The context window must be positive.")]
    int? ContextWindow,
    DateTimeOffset? EffectiveFrom,
    [property: Required(ErrorMessage = "The 5-minute cache write price per million tokens is required and cannot be negative."),
        Range(typeof(decimal), "0", "1000000", ErrorMessage = "The 5-minute cache write price per million tokens is required and cannot be negative.")]
    decimal? CacheWrite5mPerMTok = null,
    [property: Required(ErrorMessage = "The 1-hour cache write price per million tokens is required and cannot be negative."),
        Range(typeof(decimal), "0", "1000000", ErrorMessage = "The 1-hour cache write price per million tokens is required and cannot be negative.")]
    decimal? CacheWrite1hPerMTok = null,
    [property: Required(ErrorMessage = "The cache read price per million tokens is required and cannot be negative (Anthropic sets it per model: 0.1× input on older models, less on newer ones)."),
        Range(typeof(decimal), "0", "1000000", ErrorMessage = "The cache read price per million tokens is required and cannot be negative.")]
    decimal? CacheReadPerMTok = null,
    [property: Range(1, 100_000_000, ErrorMessage = "The tier's threshold must be a positive number of prompt tokens.")]
    int? TierThreshold = null,
    [property: Range(typeof(decimal), "0", "1000000", ErrorMessage = "The tier's input price cannot be negative.")]
    decimal? TierInputPerMTok = null,
    [property: Range(typeof(decimal), "0", "1000000", ErrorMessage = "The tier's 5-minute cache write price cannot be negative.")]
    decimal? TierCacheWrite5mPerMTok = null,
    [property: Range(typeof(decimal), "0", "1000000", ErrorMessage = "The tier's 1-hour cache write price cannot be negative.")]
    decimal? TierCacheWrite1hPerMTok = null,
    [property: Range(typeof(decimal), "0", "1000000", ErrorMessage = "The tier's cache read price cannot be negative.")]
    decimal? TierCacheReadPerMTok = null,
    [property: Range(typeof(decimal), "0", "1000000", ErrorMessage = "The tier's output price cannot be negative.")]
    decimal? TierOutputPerMTok = null) : IValidatableObject
{
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A tier is a threshold and all five of its rates, or nothing.
        (string Field, bool Given)[] tier =
        [
            ("tierThreshold", TierThreshold is not null), ("tierInputPerMTok", TierInputPerMTok is not null),
            ("tierCacheWrite5mPerMTok", TierCacheWrite5mPerMTok is not null), ("tierCacheWrite1hPerMTok", TierCacheWrite1hPerMTok is not null),
            ("tierCacheReadPerMTok", TierCacheReadPerMTok is not null), ("tierOutputPerMTok", TierOutputPerMTok is not null),
        ];
        if (tier.Any(t => t.Given) && tier.FirstOrDefault(t => !t.Given) is { Field: { } missing })
        {
            yield return new ValidationResult("A prompt-length tier needs its threshold and all five of its rates.", [missing]);
        }
    }
}

/// <summary>A per-request fee for a server tool from a date, as an admin adds it.</summary>
public sealed record ToolPriceInput(
    [property: Required(ErrorMessage = "The tool is required; Anthropic bills web_search per request.")]
    [property: AllowedValues(ToolPrice.WebSearch, ErrorMessage = "Only web_search is billed per request (web fetch costs only its tokens).")]
    string? Tool,
    [property: Required(ErrorMessage = "The fee per 1,000 requests is required and cannot be negative."),
        Range(typeof(decimal), "0", "1000000", ErrorMessage = "The fee per 1,000 requests is required and cannot be negative.")]
    decimal? PerThousandRequests,
    DateTimeOffset? EffectiveFrom = null);

public sealed record PriceView(
    int Id, string Model, decimal InputPerMTok, decimal CacheWrite5mPerMTok, decimal CacheWrite1hPerMTok, decimal CacheReadPerMTok, decimal OutputPerMTok,
    int ContextWindow, DateTimeOffset EffectiveFrom, int? TierThreshold, decimal? TierInputPerMTok, decimal? TierCacheWrite5mPerMTok,
    decimal? TierCacheWrite1hPerMTok, decimal? TierCacheReadPerMTok, decimal? TierOutputPerMTok);

/// <summary>The price table: the row in effect now for each model; changes are new rows, so traces keep the price they were charged.</summary>
public sealed class PriceBook(IDbContextFactory<CommandCenterDbContext> dbFactory, ShortCache cache, TimeProvider clock)
{
    /// <summary>The price in effect for <paramref name="model"/>, as messages use it (cached, see <see cref="ShortCache"/>).</summary>
    public Task<ModelPrice?> FindCurrentAsync(CommandCenterDbContext db, string model, CancellationToken ct) =>
        cache.GetOrLoadAsync(ShortCache.Price(model), () => LoadCurrentAsync(db, model, ct));

    private async Task<ModelPrice?> LoadCurrentAsync(CommandCenterDbContext db, string model, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await db.ModelPrices.AsNoTracking()
            .Where(p => p.Model == model && p.EffectiveFrom <= now)
            .OrderByDescending(p => p.EffectiveFrom)
            .FirstOrDefaultAsync(ct);
    }

    /// <summary>The per-request fee in effect for a server tool (cached like model prices); null when the tool has none.</summary>
    internal Task<ToolPrice?> FindToolPriceAsync(CommandCenterDbContext db, string tool, CancellationToken ct) =>
        cache.GetOrLoadAsync(ShortCache.Price(tool), async () =>
        {
            var now = clock.GetUtcNow();
            return await db.ToolPrices.AsNoTracking().Where(p => p.Tool == tool && p.EffectiveFrom <= now)
                .OrderByDescending(p => p.EffectiveFrom).FirstOrDefaultAsync(ct);
        });

    /// <summary>Adds a per-request fee for a server tool from its effective date; replies started after it pay it.</summary>
    /// <exception cref="InvalidInputException">A rule is broken, or the tool has a fee from that moment already.</exception>
    public async Task<ToolPrice> AddToolPriceAsync(ToolPriceInput input, CancellationToken ct = default)
    {
        InvalidInputException.ThrowIfInvalid(input);
        var price = new ToolPrice { Tool = input.Tool!.Trim(), PerThousandRequests = input.PerThousandRequests!.Value, EffectiveFrom = input.EffectiveFrom ?? clock.GetUtcNow() };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ToolPrices.AnyAsync(p => p.Tool == price.Tool && p.EffectiveFrom == price.EffectiveFrom, ct))
        {
            throw InvalidInputException.For("effectiveFrom", $"{price.Tool} already has a fee from {price.EffectiveFrom:O}.");
        }

        db.ToolPrices.Add(price);
        await db.SaveChangesAsync(ct);
        cache.Evict(ShortCache.Price(price.Tool));
        return price;
    }

    /// <summary>Every server tool fee, a tool's newest first.</summary>
    public async Task<IReadOnlyList<ToolPrice>> ListToolPricesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ToolPrices.AsNoTracking().OrderBy(p => p.Tool).ThenByDescending(p => p.EffectiveFrom).ToListAsync(ct);
    }

    /// <summary>The current price of every priced model, by model name.</summary>
    public async Task<IReadOnlyList<ModelPrice>> ListCurrentAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var rows = await db.ModelPrices.AsNoTracking().Where(p => p.EffectiveFrom <= now).ToListAsync(ct);
        return [.. rows.GroupBy(p => p.Model).Select(g => g.MaxBy(p => p.EffectiveFrom)!).OrderBy(p => p.Model, StringComparer.Ordinal)];
    }

    /// <summary>Adds a price for a model (new or existing) from its effective date.</summary>
    /// <exception cref="InvalidInputException">A rule is broken, or the model has a price from that moment already.</exception>
    public async Task<PriceView> AddAsync(PriceInput input, CancellationToken ct = default)
    {
        InvalidInputException.ThrowIfInvalid(input);
        var price = new ModelPrice
        {
            Model = input.Model!.Trim(),
            InputPerMTok = input.InputPerMTok!.Value,
            CacheWrite5mPerMTok = input.CacheWrite5mPerMTok!.Value,
            CacheWrite1hPerMTok = input.CacheWrite1hPerMTok!.Value,
            CacheReadPerMTok = input.CacheReadPerMTok!.Value,
            OutputPerMTok = input.OutputPerMTok!.Value,
            ContextWindow = input.ContextWindow ?? 200_000,
            EffectiveFrom = input.EffectiveFrom ?? clock.GetUtcNow(),
            TierThreshold = input.TierThreshold,
            TierInputPerMTok = input.TierInputPerMTok,
            TierCacheWrite5mPerMTok = input.TierCacheWrite5mPerMTok,
            TierCacheWrite1hPerMTok = input.TierCacheWrite1hPerMTok,
            TierCacheReadPerMTok = input.TierCacheReadPerMTok,
            TierOutputPerMTok = input.TierOutputPerMTok,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ModelPrices.AnyAsync(p => p.Model == price.Model && p.EffectiveFrom == price.EffectiveFrom, ct))
        {
            throw InvalidInputException.For("effectiveFrom", $"{price.Model} already has a price from {price.EffectiveFrom:O}.");
        }

        db.ModelPrices.Add(price);
        await db.SaveChangesAsync(ct);
        cache.Evict(ShortCache.Price(price.Model));
        return View(price);
    }

    /// <summary>Every row, a model's newest first: what was charged when, and what is to come.</summary>
    public async Task<IReadOnlyList<ModelPrice>> ListAllAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.ModelPrices.AsNoTracking().ToListAsync(ct);
        return [.. rows.OrderBy(p => p.Model, StringComparer.Ordinal).ThenByDescending(p => p.EffectiveFrom)];
    }

    public static PriceView View(ModelPrice p) => new(
        p.Id, p.Model, p.InputPerMTok, p.CacheWrite5mPerMTok, p.CacheWrite1hPerMTok, p.CacheReadPerMTok, p.OutputPerMTok, p.ContextWindow, p.EffectiveFrom,
        p.TierThreshold, p.TierInputPerMTok, p.TierCacheWrite5mPerMTok, p.TierCacheWrite1hPerMTok, p.TierCacheReadPerMTok, p.TierOutputPerMTok);
}
