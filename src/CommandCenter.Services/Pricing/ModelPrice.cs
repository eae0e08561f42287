namespace CommandCenter.Services.Pricing;

/// <summary>USD per million tokens for one model from <see cref="EffectiveFrom"/> until a newer row for the model takes over.</summary>
public sealed class ModelPrice
{
    public int Id { get; init; }
    public required string Model { get; init; }
    public decimal InputPerMTok { get; init; }
    public decimal OutputPerMTok { get; init; }
    public int ContextWindow { get; init; } = 200_000;
    public DateTimeOffset EffectiveFrom { get; init; }
}
