using System.Text.Json;
using System.Text.Json.Serialization;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// The SSE events' JSON, generated at build time: no reflection on the hot path, and no first-use warm-up that would
/// hold back the first events of the first reply after a start. The SSE responses and the relay between instances use it.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MetaEvent))]
[JsonSerializable(typeof(ChunkEvent))]
[JsonSerializable(typeof(ThinkingEvent))]
[JsonSerializable(typeof(ProgressEvent))]
[JsonSerializable(typeof(ToolEvent))]
[JsonSerializable(typeof(CitationEvent))]
[JsonSerializable(typeof(CostEvent))]
[JsonSerializable(typeof(DoneEvent))]
[JsonSerializable(typeof(ErrorEvent))]
public sealed partial class StreamEventJsonContext : JsonSerializerContext;
