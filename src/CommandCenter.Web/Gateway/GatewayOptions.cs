namespace CommandCenter.Web.Gateway;

public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Serve Anthropic's own API (<c>/v1/messages</c>, <c>/v1/messages/count_tokens</c>, <c>/v1/models</c>) to integration keys.</summary>
    public bool Enabled { get; set; } = true;
}
