using System.Text.Json;
using System.Text.RegularExpressions;
using CommandCenter.FakeAnthropic;

// Standalone fake for local demos: dotnet run --project tests/FakeAnthropic -- --urls http://127.0.0.1:5099
var builder = WebApplication.CreateSlimBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5099"); // loopback only unless told otherwise

var app = builder.Build();
app.Run(new MessagesHandler(DemoReply).HandleAsync);
app.Run();

// Echoes the user and adds a few sentences, in word-sized chunks paced so a human sees streaming.
static FakeScenario DemoReply(RecordedRequest request)
{
    var said = LastUserText(request.Json);
    var text = $"You said: {(said.Length > 200 ? said[..200] : said)}\n\n"
        + "This reply comes from the fake Anthropic server, so no tokens were spent. "
        + "It streams one word at a time to show how the interface renders partial text. "
        + "Usage is estimated from the size of your request, roughly four characters per token.";
    return new FakeScenario
    {
        Chunks = [.. Regex.Matches(text, @"\S+\s*").Select(m => m.Value)],
        ChunkDelay = TimeSpan.FromMilliseconds(40),
    };
}

// Content is either a string or a list of blocks, of which only text blocks count here.
static string LastUserText(JsonElement body)
{
    if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array) return "";
    var last = messages.EnumerateArray().LastOrDefault(m => m.TryGetProperty("role", out var role) && role.ValueEquals("user"));
    if (last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("content", out var content)) return "";
    return content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!,
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(b => b.TryGetProperty("type", out var type) && type.ValueEquals("text") && b.TryGetProperty("text", out _))
            .Select(b => b.GetProperty("text").GetString())),
        _ => "",
    };
}

// Declared so the SDK does not generate a public Program: the E2E project references both this
// project and the web app, and two public Program types there would clash.
internal partial class Program;
