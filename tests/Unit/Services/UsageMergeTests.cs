using System.Text;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Pricing;

namespace CommandCenter.Unit.Services;

public sealed class UsageMergeTests
{
    [Fact]
    public void MessageStartSetsTheFirstCounts()
    {
        var usage = default(TokenUsage).Apply(new WireUsage { InputTokens = 45, OutputTokens = 1, CacheCreationInputTokens = 0, CacheReadInputTokens = 0 });

        usage.ShouldBe(new TokenUsage(45, 1));
    }

    [Fact]
    public void CumulativeMessageDeltaReplacesTheCountsNeverAddsToThem()
    {
        var started = default(TokenUsage).Apply(new WireUsage { InputTokens = 45, OutputTokens = 1, CacheCreationInputTokens = 0, CacheReadInputTokens = 0 });

        var first = started.Apply(new WireUsage { InputTokens = 45, OutputTokens = 5, CacheCreationInputTokens = 0, CacheReadInputTokens = 0 });
        var last = first.Apply(new WireUsage { InputTokens = 45, OutputTokens = 12, CacheCreationInputTokens = 0, CacheReadInputTokens = 0 });

        first.ShouldBe(new TokenUsage(45, 5));
        last.ShouldBe(new TokenUsage(45, 12));
    }

    [Fact]
    public void MessageDeltaWithOnlyOutputTokensKeepsInputAndCacheFromMessageStart()
    {
        var started = default(TokenUsage).Apply(new WireUsage
        {
            InputTokens = 2_000,
            OutputTokens = 1,
            CacheCreationInputTokens = 500,
            CacheReadInputTokens = 1_500,
            CacheCreation = new WireCacheCreation { Ephemeral5mInputTokens = 300, Ephemeral1hInputTokens = 200 },
        });

        var ended = started.Apply(new WireUsage { OutputTokens = 99 });

        ended.ShouldBe(new TokenUsage(InputTokens: 2_000, OutputTokens: 99, CacheWrite5mTokens: 300, CacheWrite1hTokens: 200, CacheReadTokens: 1_500));
        ended.CacheWriteTokens.ShouldBe(500);
        ended.TotalTokens.ShouldBe(2_000 + 500 + 1_500 + 99);
    }

    [Fact]
    public void ThinkingTokensAreTheReportedPartOfOutputAndUnknownUntilReported()
    {
        var started = default(TokenUsage).Apply(new WireUsage { InputTokens = 20, OutputTokens = 1 });

        var ended = started.Apply(new WireUsage { OutputTokens = 400, OutputTokensDetails = new WireOutputTokensDetails { ThinkingTokens = 380 } });

        started.ThinkingTokens.ShouldBeNull();
        ended.ShouldBe(new TokenUsage(20, 400, ThinkingTokens: 380));
        ended.TotalTokens.ShouldBe(420, "thinking is inside output, never added to it");
        (ended + new TokenUsage(5, 10)).ThinkingTokens.ShouldBe(380);
        (new TokenUsage(5, 10) + new TokenUsage(5, 10)).ThinkingTokens.ShouldBeNull();
    }

    [Fact]
    public void CacheCreationSplitIsHonoured()
    {
        var usage = default(TokenUsage).Apply(new WireUsage
        {
            InputTokens = 10,
            OutputTokens = 1,
            CacheCreationInputTokens = 1_000,
            CacheCreation = new WireCacheCreation { Ephemeral5mInputTokens = 400, Ephemeral1hInputTokens = 600 },
        });

        usage.CacheWrite5mTokens.ShouldBe(400);
        usage.CacheWrite1hTokens.ShouldBe(600);
        usage.CacheWriteTokens.ShouldBe(1_000);
    }

    [Fact]
    public void SplitReportingOnlyOneLifetimeKeepsTheOther()
    {
        var current = new TokenUsage(10, 1, CacheWrite5mTokens: 300, CacheWrite1hTokens: 200);

        var usage = current.Apply(new WireUsage { CacheCreation = new WireCacheCreation { Ephemeral1hInputTokens = 250 } });

        usage.ShouldBe(current with { CacheWrite1hTokens = 250 });
    }

    [Fact]
    public void TotalWithoutTheSplitThatEqualsThePreviousSumKeepsTheSplit()
    {
        var current = new TokenUsage(10, 1, CacheWrite5mTokens: 300, CacheWrite1hTokens: 200);

        var usage = current.Apply(new WireUsage { OutputTokens = 40, CacheCreationInputTokens = 500 });

        usage.ShouldBe(current with { OutputTokens = 40 });
    }

    [Fact]
    public void NewTotalWithoutTheSplitCountsAsFiveMinuteWrites()
    {
        var current = new TokenUsage(10, 1, CacheWrite5mTokens: 300, CacheWrite1hTokens: 200);

        var usage = current.Apply(new WireUsage { CacheCreationInputTokens = 800 });

        usage.CacheWrite5mTokens.ShouldBe(800);
        usage.CacheWrite1hTokens.ShouldBe(0);
        usage.CacheWriteTokens.ShouldBe(800);
    }

    [Fact]
    public void TotalWithoutAnySplitFromTheStartIsFiveMinuteWrites()
    {
        var usage = default(TokenUsage).Apply(new WireUsage { InputTokens = 5, OutputTokens = 1, CacheCreationInputTokens = 1_234 });

        usage.ShouldBe(new TokenUsage(5, 1, CacheWrite5mTokens: 1_234));
    }

    [Fact]
    public void NullUsageIsANoOp()
    {
        var current = new TokenUsage(1, 2, 3, 4, 5);

        current.Apply(null).ShouldBe(current);
    }

    [Fact]
    public void UsageWithNoCountsIsANoOp()
    {
        var current = new TokenUsage(1, 2, 3, 4, 5);

        current.Apply(new WireUsage()).ShouldBe(current);
    }

    [Fact]
    public void ZeroIsAReportedCountNotAMissingOne()
    {
        var current = new TokenUsage(100, 50, CacheReadTokens: 70);

        current.Apply(new WireUsage { InputTokens = 0, CacheReadInputTokens = 0 }).ShouldBe(new TokenUsage(0, 50));
    }

    [Fact]
    public async Task UsageFoldedFromARealStreamIsTheLastCumulativeCount()
    {
        const string stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","usage":{"input_tokens":12,"cache_creation_input_tokens":2048,"cache_read_input_tokens":4096,"cache_creation":{"ephemeral_5m_input_tokens":2000,"ephemeral_1h_input_tokens":48},"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":7}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,"cache_creation_input_tokens":2048,"cache_read_input_tokens":4096,"output_tokens":30}}

            event: message_stop
            data: {"type":"message_stop"}


            """;
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(stream.ReplaceLineEndings("\n")));

        var usage = default(TokenUsage);
        await foreach (var e in AnthropicStreamReader.ReadAsync(body, TestContext.Current.CancellationToken))
        {
            usage = e switch
            {
                MessageStarted s => usage.Apply(s.Usage),
                MessageDelta d => usage.Apply(d.Usage),
                _ => usage,
            };
        }

        usage.ShouldBe(new TokenUsage(InputTokens: 12, OutputTokens: 30, CacheWrite5mTokens: 2_000, CacheWrite1hTokens: 48, CacheReadTokens: 4_096));
    }
}
