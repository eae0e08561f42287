using System.IO.Pipelines;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CommandCenter.Services.Anthropic;

namespace CommandCenter.Unit.Services;

public sealed class AnthropicStreamReaderTests
{
    // A reply as the Messages API streams it (https://docs.anthropic.com/en/api/messages-streaming), with every kind of
    // event the reader must skip, and a multi-byte delta so byte-level splits land inside UTF-8 sequences too.
    private const string FullStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":45,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}

        event: ping
        data: {"type": "ping"}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", wörld 👋"}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" — 日本語!"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":45,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":12}}

        event: message_stop
        data: {"type":"message_stop"}


        """;

    private static readonly string[] FullStreamEvents =
    [
        "start msg_01XFDUDYJgAACzvnptvVoYEL claude-sonnet-4-5-20250929 in=45 out=1 cw=0 cr=0 5m=0 1h=0",
        """block {"type":"text","text":""}""",
        "text [Hello]",
        "text [, wörld 👋]",
        "text [ — 日本語!]",
        "delta end_turn in=45 out=12 cw=0 cr=0 5m= 1h=",
        "stop",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FullStreamYieldsExactlyTheEventsThatMatterInOrder()
    {
        var events = await ReadAllAsync(Bytes(FullStream));

        events.Count.ShouldBe(7);
        var started = events[0].ShouldBeOfType<MessageStarted>();
        started.MessageId.ShouldBe("msg_01XFDUDYJgAACzvnptvVoYEL");
        started.Model.ShouldBe("claude-sonnet-4-5-20250929");
        started.Usage.ShouldNotBeNull();
        started.Usage.InputTokens.ShouldBe(45);
        started.Usage.OutputTokens.ShouldBe(1);
        started.Usage.CacheCreationInputTokens.ShouldBe(0);
        started.Usage.CacheReadInputTokens.ShouldBe(0);
        started.Usage.CacheCreation.ShouldNotBeNull().Ephemeral5mInputTokens.ShouldBe(0);

        events[1].ShouldBeOfType<BlockStarted>().Type.ShouldBe("text");
        events[2].ShouldBe(new TextDelta("Hello"));
        events[3].ShouldBe(new TextDelta(", wörld 👋"));
        events[4].ShouldBe(new TextDelta(" — 日本語!"));

        var delta = events[5].ShouldBeOfType<MessageDelta>();
        delta.StopReason.ShouldBe("end_turn");
        delta.Usage.ShouldNotBeNull().OutputTokens.ShouldBe(12);

        events[6].ShouldBeSameAs(MessageStopped.Instance);
        events.Select(Describe).ShouldBe(FullStreamEvents);
    }

    [Fact]
    public async Task OneBytePerReadGivesTheSameEvents()
    {
        var bytes = Bytes(FullStream);
        await using var stream = ChunkedStream.AtMost(bytes, 1);

        var events = await ReadAllAsync(stream);

        stream.Reads.ShouldBe(bytes.Length);
        events.Select(Describe).ShouldBe(FullStreamEvents);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 7)]
    [InlineData(3, 16)]
    [InlineData(4, 64)]
    [InlineData(5, 300)]
    [InlineData(6, 2)]
    [InlineData(7, 1000)]
    public async Task RandomlySplitReadsGiveTheSameEvents(int seed, int maxChunk)
    {
        await using var stream = ChunkedStream.RandomlySplit(Bytes(FullStream), seed, maxChunk);

        var events = await ReadAllAsync(stream);

        events.Select(Describe).ShouldBe(FullStreamEvents);
    }

    [Fact]
    public async Task EverySingleSplitPointGivesTheSameEvents()
    {
        var bytes = Bytes(FullStream);
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            await using var stream = new ChunkedStream(bytes, [cut]);

            var events = await ReadAllAsync(stream);

            events.Select(Describe).ShouldBe(FullStreamEvents, $"split after byte {cut}");
        }
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r")]
    [InlineData("\n")]
    public async Task AnyLineEndingGivesTheSameEvents(string lineEnding)
    {
        var bytes = Encoding.UTF8.GetBytes(FullStream.ReplaceLineEndings(lineEnding));

        (await ReadAllAsync(bytes)).Select(Describe).ShouldBe(FullStreamEvents);

        // A CR at the end of one read and its LF at the start of the next is still one line break.
        await using var oneByteAtATime = ChunkedStream.AtMost(bytes, 1);
        (await ReadAllAsync(oneByteAtATime)).Select(Describe).ShouldBe(FullStreamEvents);
    }

    [Fact]
    public async Task TrailingSpacesAfterTheJsonAreIgnored()
    {
        var padded = string.Join('\n', FullStream.ReplaceLineEndings("\n").Split('\n').Select(l => l.StartsWith("data:", StringComparison.Ordinal) ? l + "   " : l));

        (await ReadAllAsync(Bytes(padded))).Select(Describe).ShouldBe(FullStreamEvents);
    }

    [Fact]
    public async Task DataWithoutASpaceAfterTheColonIsRead()
    {
        var tight = FullStream.ReplaceLineEndings("\n").Replace("data: ", "data:", StringComparison.Ordinal).Replace("event: ", "event:", StringComparison.Ordinal);

        (await ReadAllAsync(Bytes(tight))).Select(Describe).ShouldBe(FullStreamEvents);
    }

    [Fact]
    public async Task JsonSplitOverSeveralDataLinesIsJoined()
    {
        const string stream = """
            event: content_block_delta
            data: {"type":"content_block_delta","index":0,
            data: "delta":{"type":"text_delta",
            data: "text":"joined"}}

            event: message_stop
            data: {"type":"message_stop"}


            """;

        (await ReadAllAsync(Bytes(stream))).Select(Describe).ShouldBe(["text [joined]", "stop"]);
    }

    [Fact]
    public async Task CommentsIdsAndRetryLinesAreIgnored()
    {
        const string stream = """
            : keep-alive comment
            retry: 3000

            id: 1
            event: content_block_delta
            : a comment inside an event
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"kept"}}

            event: message_stop
            data: {"type":"message_stop"}


            """;

        (await ReadAllAsync(Bytes(stream))).Select(Describe).ShouldBe(["text [kept]", "stop"]);
    }

    [Fact]
    public async Task EventsWithoutAnEventLineAreTypedByTheirJson()
    {
        var withoutEventLines = string.Join('\n', FullStream.ReplaceLineEndings("\n").Split('\n').Where(l => !l.StartsWith("event:", StringComparison.Ordinal)));

        (await ReadAllAsync(Bytes(withoutEventLines))).Select(Describe).ShouldBe(FullStreamEvents);
    }

    [Fact]
    public async Task AnEventWithoutAnEventLineOrAJsonTypeIsDropped()
    {
        const string stream = """
            data: {"delta":{"type":"text_delta","text":"no type"}}

            data: {"type":"message","delta":{"type":"text_delta","text":"type is the SSE default"}}

            data: {"type":"message_stop"}


            """;

        (await ReadAllAsync(Bytes(stream))).Select(Describe).ShouldBe(["stop"]);
    }

    [Theory]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"some_future_delta","text":"not a text delta"}}""")]
    [InlineData("content_block_start", """{"type":"content_block_start","index":0,"content_block":"not a block"}""")]
    [InlineData("ping", """{"type":"ping"}""")]
    [InlineData("some_future_event", """{"type":"some_future_event","delta":{"type":"text_delta","text":"not for us"}}""")]
    [InlineData("ping", "not even json")]
    [InlineData("some_future_event", "{ not json")]
    public async Task EventsThatCarryNothingForUsYieldNothing(string eventType, string data)
    {
        var stream = $"event: {eventType}\ndata: {data}\n\nevent: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n";

        (await ReadAllAsync(Bytes(stream))).Select(Describe).ShouldBe(["stop"]);
    }

    [Theory]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me work out 2 + 2."}}""", "thinking [Let me work out 2 + 2.]")]
    [InlineData("""{"type":"content_block_delta","index":3,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location","url":"https://example.com/a","title":"A","cited_text":"Quoted.","encrypted_index":"Eo8B"}}}""", "citation https://example.com/a [A] [Quoted.]")]
    [InlineData("""{"type":"content_block_start","index":2,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","url":"https://a"},{"type":"web_search_result","url":"https://b"}]}}""", "result srvtoolu_01 2 ")]
    [InlineData("""{"type":"content_block_start","index":2,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":{"type":"web_search_tool_result_error","error_code":"max_uses_exceeded"}}}""", "result srvtoolu_01 0 max_uses_exceeded")]
    [InlineData("""{"type":"content_block_start","index":2,"content_block":{"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_02","content":{"type":"web_fetch_result","url":"https://a","content":{}}}}""", "result srvtoolu_02 1 ")]
    public async Task ThinkingToolResultsAndCitationsAreRead(string data, string expected)
    {
        var type = JsonDocument.Parse(data).RootElement.GetProperty("type").GetString();
        var stream = $"event: {type}\ndata: {data}\n\n";

        var events = await ReadAllAsync(Bytes(stream));

        events.Select(Describe).Last().ShouldBe(expected);
        if (type == "content_block_start")
        {
            // A tool result is told as its outcome, after the block itself (kept whole, to send back if the turn pauses).
            events.Count.ShouldBe(2);
            events[0].ShouldBeOfType<BlockStarted>().Block.GetRawText().ShouldBe(JsonDocument.Parse(data).RootElement.GetProperty("content_block").GetRawText());
        }
        else
        {
            events.Count.ShouldBe(1);
        }
    }

    [Theory]
    [InlineData("""{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"seed text"}}""", """block {"type":"text","text":"seed text"}""")]
    [InlineData("""{"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":""}}""", """block {"type":"thinking","thinking":""}""")]
    [InlineData("""{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}}""", """block {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}""")]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9G"}}""", "signature EqQBCgIYAhIM1gbcDa9G")]
    public async Task BlocksAndSignaturesAreKeptWholeForATurnThatMustBeSentBack(string data, string expected)
    {
        var type = JsonDocument.Parse(data).RootElement.GetProperty("type").GetString();

        (await ReadAllAsync(Bytes($"event: {type}\ndata: {data}\n\n"))).Select(Describe).ShouldBe([expected]);
    }

    [Fact]
    public async Task NonTextDeltasWithoutAnEventLineAreReadByTheirType()
    {
        const string stream = """
            data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}

            data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}

            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{}"}}

            data: {"type":"some_future_event","delta":{"type":"text_delta","text":"not for us"}}


            """;

        (await ReadAllAsync(Bytes(stream))).Select(Describe).ShouldBe(["thinking [hmm]", "signature abc"]);
    }

    [Fact]
    public async Task AServerToolCallIsToldOnceWholeWhenItsBlockClosesAndAClientToolCallNotAtAll()
    {
        const string stream = """
            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

            event: content_block_start
            data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"claude"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Paris\"}"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" shannon\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":2}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}


            """;

        (await ReadAllAsync(Bytes(stream))).Select(Describe).ShouldBe(
        [
            """block {"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{}}""",
            """block {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}""",
            """called srvtoolu_01 web_search {"query": "claude shannon"}""",
        ]);
    }

    [Fact]
    public async Task ErrorEventYieldsStreamErrorWithTypeAndMessage()
    {
        const string stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude-haiku-4-5","usage":{"input_tokens":10,"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Par"}}

            event: error
            data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}


            """;

        var events = await ReadAllAsync(Bytes(stream));

        events.Count.ShouldBe(3);
        events[1].ShouldBe(new TextDelta("Par"));
        events[2].ShouldBe(new StreamError("overloaded_error", "Overloaded"));
    }

    [Fact]
    public async Task ErrorEventWithoutDetailsStillYieldsStreamError()
    {
        var events = await ReadAllAsync(Bytes("event: error\ndata: {\"type\":\"error\"}\n\n"));

        var error = events.ShouldHaveSingleItem().ShouldBeOfType<StreamError>();
        error.ErrorType.ShouldBe("error");
        error.Message.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task ErrorWithoutAnEventLineIsTypedByItsJson()
    {
        var events = await ReadAllAsync(Bytes("data: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}\n\n"));

        events.ShouldBe([new StreamError("api_error", "Internal server error")]);
    }

    public static TheoryData<string> AwkwardTexts =>
    [
        "Ünïcödé — “quotes” and ‘more’ … ñ 日本語 한국어 العربية",
        "emoji 👋🏽 👨‍👩‍👧‍👦 🇫🇷 and a lone BMP ☃",
        "\"double\" 'single' `back` \\backslash\\ /slash/",
        "line one\nline two\r\nline three\rline four\n\n\ttabbed",
        "</script><script>alert('x')</script> <b>&amp;</b> <!-- -->",
        "data: not an SSE line\n\nevent: error\n\n",
        "control \u0001 \u001f and nul \0 inside",
        "   leading and trailing spaces   ",
        "",
    ];

    [Theory]
    [MemberData(nameof(AwkwardTexts))]
    public async Task TextDeltaComesThroughExactly(string text)
    {
        // The API escapes some characters and sends others as raw UTF-8: both must decode to the same text.
        var escaped = JsonSerializer.Serialize(new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text } });
        var raw = JsonSerializer.Serialize(
            new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text } },
            new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        foreach (var data in new[] { escaped, raw })
        {
            var bytes = Bytes($"event: content_block_delta\ndata: {data}\n\n");

            var whole = await ReadAllAsync(bytes);
            await using var oneByteAtATime = ChunkedStream.AtMost(bytes, 1);
            var split = await ReadAllAsync(oneByteAtATime);

            whole.ShouldHaveSingleItem().ShouldBeOfType<TextDelta>().Text.ShouldBe(text);
            split.ShouldHaveSingleItem().ShouldBeOfType<TextDelta>().Text.ShouldBe(text);
            Encoding.UTF8.GetBytes(((TextDelta)whole[0]).Text).ShouldBe(Encoding.UTF8.GetBytes(text));
        }
    }

    /// <remarks>
    /// The reader does not swallow a known event it cannot read: the exception ends the enumeration, and
    /// MessageStream turns it into a failed turn ("Anthropic sent an event that could not be read.").
    /// </remarks>
    [Theory]
    [InlineData("message_start", """{"type":"message_start","message":{"id":"msg_1",""")]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"unterminated}}""")]
    [InlineData("message_delta", "not json at all")]
    [InlineData("error", "{]")]
    [InlineData("message_delta", """{"type":"message_delta","usage":{"output_tokens":"twelve"}}""")]
    public async Task MalformedJsonInAKnownEventThrowsJsonExceptionAfterTheEventsBeforeIt(string eventType, string data)
    {
        var bytes = Bytes($"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"before\"}}}}\n\nevent: {eventType}\ndata: {data}\n\nevent: message_stop\ndata: {{}}\n\n");
        using var stream = new MemoryStream(bytes);
        var seen = new List<AnthropicEvent>();

        await Should.ThrowAsync<JsonException>(async () =>
        {
            await foreach (var e in AnthropicStreamReader.ReadAsync(stream, Ct))
            {
                seen.Add(e);
            }
        });

        seen.ShouldBe([new TextDelta("before")]);
    }

    [Fact]
    public void ParseSkipsTheBodyOfEventsItDoesNotRead()
    {
        AnthropicStreamReader.Parse("message_stop", "garbage"u8).ShouldBeSameAs(MessageStopped.Instance);
        AnthropicStreamReader.Parse("ping", "garbage"u8).ShouldBeNull();
    }

    [Fact]
    public void ParseReadsMessageDeltaWithoutUsageOrStopReason()
    {
        var delta = AnthropicStreamReader.Parse("message_delta", """{"type":"message_delta","delta":{}}"""u8).ShouldBeOfType<MessageDelta>();

        delta.StopReason.ShouldBeNull();
        delta.Usage.ShouldBeNull();
    }

    [Fact]
    public async Task EventsAreYieldedAsTheyArriveNotWhenTheStreamEnds()
    {
        var pipe = new Pipe();
        await using var body = pipe.Reader.AsStream();
        await using var events = AnthropicStreamReader.ReadAsync(body, Ct).GetAsyncEnumerator(Ct);

        await pipe.Writer.WriteAsync(Bytes("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"first\"}}\n\n"), Ct);
        (await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct)).ShouldBeTrue();
        events.Current.ShouldBe(new TextDelta("first"));

        await pipe.Writer.WriteAsync(Bytes("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), Ct);
        await pipe.Writer.CompleteAsync();
        (await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct)).ShouldBeTrue();
        events.Current.ShouldBeSameAs(MessageStopped.Instance);
        (await events.MoveNextAsync()).ShouldBeFalse();
    }

    [Fact]
    public async Task EmptyBodyYieldsNothing()
    {
        (await ReadAllAsync([])).ShouldBeEmpty();
    }

    [Fact]
    public async Task CancelledReadThrowsOperationCanceled()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await cts.CancelAsync();
        using var stream = new MemoryStream(Bytes(FullStream));

        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in AnthropicStreamReader.ReadAsync(stream, cts.Token))
            {
            }
        });
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\n"));

    private static async Task<List<AnthropicEvent>> ReadAllAsync(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return await ReadAllAsync(stream);
    }

    private static async Task<List<AnthropicEvent>> ReadAllAsync(Stream stream)
    {
        var events = new List<AnthropicEvent>();
        await foreach (var e in AnthropicStreamReader.ReadAsync(stream, Ct))
        {
            events.Add(e);
        }

        return events;
    }

    private static string Describe(AnthropicEvent e) => e switch
    {
        MessageStarted s => $"start {s.MessageId} {s.Model} {Describe(s.Usage)}",
        TextDelta t => $"text [{t.Text}]",
        MessageDelta d => $"delta {d.StopReason} {Describe(d.Usage)}",
        MessageStopped => "stop",
        StreamError x => $"error {x.ErrorType} {x.Message}",
        ThinkingDelta t => $"thinking [{t.Text}]",
        BlockStarted b => $"block {b.Block.GetRawText()}",
        SignatureDelta s => $"signature {s.Signature}",
        CitationDelta c => $"citation {c.Url} [{c.Title}] [{c.CitedText}]",
        ServerToolCalled t => $"called {t.Id} {t.Name} {t.Input.GetRawText()}",
        ServerToolResult r => $"result {r.ToolUseId} {r.Results} {r.ErrorCode}",
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "An event type this test does not know."),
    };

    private static string Describe(WireUsage? u) => u is null
        ? "no usage"
        : $"in={u.InputTokens} out={u.OutputTokens} cw={u.CacheCreationInputTokens} cr={u.CacheReadInputTokens} 5m={u.CacheCreation?.Ephemeral5mInputTokens} 1h={u.CacheCreation?.Ephemeral1hInputTokens}";
}
