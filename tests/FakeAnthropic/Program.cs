using CommandCenter.FakeAnthropic;

// Standalone fake for local demos: dotnet run --project tests/FakeAnthropic -- --urls http://127.0.0.1:5099
var builder = WebApplication.CreateSlimBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5099"); // loopback only unless told otherwise

var app = builder.Build();
// Replies echo the user word by word, with thinking, a web search and citations, or a fetch when the request asks for them.
app.Run(new MessagesHandler(FakeDemo.ScenarioFor).HandleAsync);
app.Run();

// Declared so the SDK does not generate a public Program: the E2E project references both this
// project and the web app, and two public Program types there would clash.
internal partial class Program;
