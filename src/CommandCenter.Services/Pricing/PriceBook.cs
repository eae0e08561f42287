using System.ComponentModel.DataAnnotations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Pricing;

/// <summary>A price for a model from a date, as an admin adds it.</summary>
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
    [property: Range(1, 100_000_000, ErrorMessage = "The long-context threshold must be a positive number of input tokens.")]
    int? LongContextThreshold = null,
    [property: Range(typeof(decimal), "0", "1000000", ErrorMessage = "The long-context input price cannot be negative.")]
    decimal? LongContextInputPerMTok = null,
    [property: Range(typeof(decimal), "0", "1000000", ErrorMessage = "The long-context output price cannot be negative.")]
    decimal? LongContextOutputPerMTok = null) : IValidatableObject
{
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A tier is a threshold and both its rates, or nothing.
        var given = new[] { LongContextThreshold is not null, LongContextInputPerMTok is not null, LongContextOutputPerMTok is not null };
        if (given.Any(g => g) && !given.All(g => g))
        {
            yield return new ValidationResult("A long-context tier needs its threshold and both its prices.", [nameof(LongContextThreshold)]);
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
    int Id, string Model, decimal InputPerMTok, decimal OutputPerMTok, int ContextWindow, DateTimeOffset EffectiveFrom,
    int? LongContextThreshold, decimal? LongContextInputPerMTok, decimal? LongContextOutputPerMTok);

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
            OutputPerMTok = input.OutputPerMTok!.Value,
            ContextWindow = input.ContextWindow ?? 200_000,
            EffectiveFrom = input.EffectiveFrom ?? clock.GetUtcNow(),
            LongContextThreshold = input.LongContextThreshold,
            LongContextInputPerMTok = input.LongContextInputPerMTok,
            LongContextOutputPerMTok = input.LongContextOutputPerMTok,
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
        p.Id, p.Model, p.InputPerMTok, p.OutputPerMTok, p.ContextWindow, p.EffectiveFrom, p.LongContextThreshold, p.LongContextInputPerMTok, p.LongContextOutputPerMTok);
}
