using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Pricing;

public sealed record PriceInput(string? Model, decimal? InputPerMTok, decimal? OutputPerMTok, int? ContextWindow, DateTimeOffset? EffectiveFrom);

public sealed record PriceView(int Id, string Model, decimal InputPerMTok, decimal OutputPerMTok, int ContextWindow, DateTimeOffset EffectiveFrom);

/// <summary>The price table: the row in effect now for each model; changes are new rows, so traces keep the price they were charged.</summary>
public sealed class PriceBook(IDbContextFactory<CommandCenterDbContext> dbFactory, TimeProvider clock)
{
    public async Task<ModelPrice?> FindCurrentAsync(CommandCenterDbContext db, string model, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await db.ModelPrices.AsNoTracking()
            .Where(p => p.Model == model && p.EffectiveFrom <= now)
            .OrderByDescending(p => p.EffectiveFrom)
            .FirstOrDefaultAsync(ct);
    }

    /// <summary>The current price of every priced model, by model name.</summary>
    public async Task<IReadOnlyList<ModelPrice>> ListCurrentAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var rows = await db.ModelPrices.AsNoTracking().Where(p => p.EffectiveFrom <= now).ToListAsync(ct);
        return [.. rows.GroupBy(p => p.Model).Select(g => g.MaxBy(p => p.EffectiveFrom)!).OrderBy(p => p.Model, StringComparer.Ordinal)];
    }

    /// <summary>Adds a price for a model (new or existing) from its effective date; returns the field errors when refused.</summary>
    public async Task<(PriceView? Price, Dictionary<string, string[]> Errors)> AddAsync(PriceInput input, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Model) || input.Model.Trim().Length > 100)
        {
            errors["model"] = ["The model name is required (at most 100 characters)."];
        }

        if (input.InputPerMTok is not >= 0)
        {
            errors["inputPerMTok"] = ["The input price per million tokens is required and cannot be negative."];
        }

        if (input.OutputPerMTok is not >= 0)
        {
            errors["outputPerMTok"] = ["The output price per million tokens is required and cannot be negative."];
        }

        if (input.ContextWindow is <= 0)
        {
            errors["contextWindow"] = ["The context window must be positive."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var price = new ModelPrice
        {
            Model = input.Model!.Trim(),
            InputPerMTok = input.InputPerMTok!.Value,
            OutputPerMTok = input.OutputPerMTok!.Value,
            ContextWindow = input.ContextWindow ?? 200_000,
            EffectiveFrom = input.EffectiveFrom ?? clock.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ModelPrices.AnyAsync(p => p.Model == price.Model && p.EffectiveFrom == price.EffectiveFrom, ct))
        {
            errors["effectiveFrom"] = [$"{price.Model} already has a price from {price.EffectiveFrom:O}."];
            return (null, errors);
        }

        db.ModelPrices.Add(price);
        await db.SaveChangesAsync(ct);
        return (View(price), errors);
    }

    public static PriceView View(ModelPrice p) => new(p.Id, p.Model, p.InputPerMTok, p.OutputPerMTok, p.ContextWindow, p.EffectiveFrom);
}
