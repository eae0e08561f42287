using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommandCenter.Services.Anthropic;

namespace CommandCenter.Unit.Services;

/// <summary>A paused turn is sent back as Anthropic returned it: the blocks rebuilt from the stream must be exactly those.</summary>
public sealed class AssistantContentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A turn with every kind of block, as the Messages API streams it, paused after its search.
    private const string PausedStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"I should "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"search."}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBsig"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgB"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Let me look. "}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: content_block_start
        data: {"type":"content_block_start","index":3,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"shan"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"non\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":3}

        event: content_block_start
        data: {"type":"content_block_start","index":4,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://a","title":"A","encrypted_content":"Eqgf","page_age":null}]}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":4}

        event: content_block_start
        data: {"type":"content_block_start","index":5,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":5,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location","url":"https://a","title":"A","cited_text":"Born 1916.","encrypted_index":"Eo8B"}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":5,"delta":{"type":"text_delta","text":"He was born "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":5,"delta":{"type":"text_delta","text":"in 1916."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":5}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"pause_turn"},"usage":{"output_tokens":40}}

        event: message_stop
        data: {"type":"message_stop"}


        """;

    private const string PausedTurn = """
        [
          {"type":"thinking","thinking":"I should search.","signature":"EqQBsig"},
          {"type":"redacted_thinking","data":"EmwKAhgB"},
          {"type":"text","text":"Let me look. "},
          {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"shannon"}},
          {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://a","title":"A","encrypted_content":"Eqgf","page_age":null}]},
          {"type":"text","text":"He was born in 1916.","citations":[{"type":"web_search_result_location","url":"https://a","title":"A","cited_text":"Born 1916.","encrypted_index":"Eo8B"}]}
        ]
        """;

    [Fact]
    public async Task ThePausedTurnIsRebuiltBlockForBlockAsAnthropicReturnsIt()
    {
        var content = await ObserveAsync(PausedStream);

        var message = content.ToMessage();

        message.Role.ShouldBe("assistant");
        JsonNode.DeepEquals(message.Blocks, JsonNode.Parse(PausedTurn)).ShouldBeTrue(message.Blocks!.ToJsonString());
    }

    [Fact]
    public async Task AContinuationAddsItsBlocksAfterTheTurnSoFar()
    {
        var content = await ObserveAsync(PausedStream);
        content.ToMessage();
        await ObserveAsync(PausedStream.Replace("srvtoolu_1", "srvtoolu_2"), content);

        var blocks = content.ToMessage().Blocks!;

        blocks.Count.ShouldBe(12);
        blocks[3]!["id"]!.GetValue<string>().ShouldBe("srvtoolu_1");
        blocks[9]!["id"]!.GetValue<string>().ShouldBe("srvtoolu_2");
        blocks[9]!["input"]!.ToJsonString().ShouldBe("""{"query":"shannon"}""");
    }

    [Fact]
    public async Task TheTurnIsSentAsRawBlocksAndOtherMessagesAsText()
    {
        var turn = (await ObserveAsync(PausedStream)).ToMessage();
        var request = new WireRequest("claude-sonnet-4-5", 1024, null, [new WireMessage("user", [new WireTextBlock("When?")]), turn]);

        var json = JsonNode.Parse(JsonSerializer.Serialize(request, WireJsonContext.Default.WireRequest))!;

        json["messages"]![0]!.ToJsonString().ShouldBe("""{"role":"user","content":[{"text":"When?","type":"text"}]}""");
        json["messages"]![1]!["role"]!.GetValue<string>().ShouldBe("assistant");
        JsonNode.DeepEquals(json["messages"]![1]!["content"], JsonNode.Parse(PausedTurn)).ShouldBeTrue();
    }

    private static async Task<AssistantContent> ObserveAsync(string stream, AssistantContent? content = null)
    {
        content ??= new AssistantContent();
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(stream.ReplaceLineEndings("\n")));
        await foreach (var e in AnthropicStreamReader.ReadAsync(body, Ct))
        {
            content.Observe(e);
        }

        return content;
    }
}
