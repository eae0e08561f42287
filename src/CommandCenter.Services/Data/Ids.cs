namespace CommandCenter.Services.Data;

/// <summary>Opaque, time-ordered identifiers for our own rows (agents, traces, conversations, messages).</summary>
public static class Ids
{
    public static string New() => Guid.CreateVersion7().ToString("N");
}
