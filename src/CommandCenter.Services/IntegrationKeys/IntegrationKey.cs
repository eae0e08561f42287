namespace CommandCenter.Services.IntegrationKeys;

/// <summary>
/// A long-lived key (<c>cc_…</c>) a user gives an external frontend to call the message and conversation APIs as them.
/// Only its SHA-256 is stored: the key is 256 random bits, so a fast hash is enough, and a database dump reveals none.
/// </summary>
public sealed class IntegrationKey
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string Name { get; set; }
    /// <summary>The first characters of the key, so its owner can tell keys apart.</summary>
    public required string Prefix { get; init; }
    /// <summary>Hex SHA-256 of the whole key.</summary>
    public required string Hash { get; init; }
    /// <summary>Messages this key may start per minute; null: the per-user default.</summary>
    public int? MessagesPerMinute { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; set; }
}
