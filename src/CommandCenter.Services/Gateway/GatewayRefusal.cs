namespace CommandCenter.Services.Gateway;

/// <summary>
/// A gateway request Command Center itself refuses (bad key, budget, rate, a model it cannot price or that is retired),
/// told in Anthropic's error shape so that clients written for Anthropic understand it.
/// </summary>
/// <param name="ErrorType">Anthropic's error type: invalid_request_error, authentication_error, billing_error, permission_error,
/// not_found_error, rate_limit_error, api_error.</param>
public sealed class GatewayRefusal(int status, string errorType, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string ErrorType { get; } = errorType;
    public TimeSpan? RetryAfter { get; init; }

    public static GatewayRefusal Invalid(string message) => new(400, "invalid_request_error", message);
}
