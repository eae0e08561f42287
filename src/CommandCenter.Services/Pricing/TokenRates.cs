namespace CommandCenter.Services.Pricing;

/// <summary>
/// USD per million tokens for each billed class of a request. Anthropic sets each rate on its own (cache reads are 0.1×
/// input on older models, 0.05× on Opus and Sonnet 5.5, 0.025× on Fable 5.1), so none is derived from another.
/// </summary>
public readonly record struct TokenRates(decimal Input, decimal CacheWrite5m, decimal CacheWrite1h, decimal CacheRead, decimal Output);
