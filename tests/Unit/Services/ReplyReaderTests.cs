using System.Text.Json;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace CommandCenter.Unit.Services;

/// <summary>The pure half of a live reply: Anthropic's events in, ours out, and what the reply did.</summary>
public sealed class ReplyReaderTests
{
    private static JsonElement Query(string q) => JsonSerializer.SerializeToElement(new { query = q });

    [Fact]
    public void ParallelSearchesOfOneToolEndOnTheirOwnEntriesWhateverOrderTheirResultsComeIn()
    {
        var reader = new ReplyReader(ThinkingDeltas.Hidden, keepsTurn: false, new FakeTimeProvider());
        reader.BeginCall(0);

        reader.Read(new ServerToolCalled("srvtoolu_1", "web_search", Query("first")));
        reader.Read(new ServerToolCalled("srvtoolu_2", "web_search", Query("second")));
        var told = reader.Read(new ServerToolResult("srvtoolu_2", 7, null));
        reader.Read(new ServerToolResult("srvtoolu_1", 3, null));

        told.ShouldBeOfType<ToolEvent>().Results.ShouldBe(7);
        var tools = reader.Snapshot(ReplyOutcome.Completed, null).Activity!.Tools;
        tools.Select(t => (t.Input.GetProperty("query").GetString(), t.Status, t.Results)).ShouldBe(
            [("first", ToolEvent.Done, (int?)3), ("second", ToolEvent.Done, (int?)7)]);
    }

    [Fact]
    public void TextIsToldAsChunksASourceCitedTwiceIsKeptOnceAndAContinuedCallsTextIsItsOwn()
    {
        var reader = new ReplyReader(ThinkingDeltas.Hidden, keepsTurn: true, new FakeTimeProvider());
        reader.BeginCall(0);
        reader.Read(new TextDelta("Paused ")).ShouldBe(new ChunkEvent("Paused "));
        reader.Read(new CitationDelta("https://a.example", "A", "a", default)).ShouldBe(new CitationEvent("https://a.example", "A", "a"));
        reader.Read(new MessageDelta(ReplyReader.PauseTurn, null));
        reader.Paused.ShouldBeTrue();

        reader.BeginCall(0);
        reader.Read(new TextDelta("then done."));
        reader.Read(new CitationDelta("https://a.example", "A", "a again", default)).ShouldNotBeNull("every citation is told where it is");

        reader.Paused.ShouldBeFalse();
        reader.CallText.ShouldBe("then done.");
        var end = reader.Snapshot(ReplyOutcome.Completed, null);
        end.Text.ShouldBe("Paused then done.");
        end.Activity!.Citations.ShouldHaveSingleItem().Url.ShouldBe("https://a.example");
    }
}
