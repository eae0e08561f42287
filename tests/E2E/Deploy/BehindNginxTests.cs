using CommandCenter.E2E.Browser;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using static Microsoft.Playwright.Assertions;

namespace CommandCenter.E2E.Deploy;

/// <summary>The API through nginx (deploy/nginx.conf) in front of two instances: spread over both, unbuffered, resumable.</summary>
public sealed class BehindNginxTests(TwoInstancesBehindNginx app) : IClassFixture<TwoInstancesBehindNginx>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Words = ["One ", "two ", "three ", "four ", "five ", "six."];

    [Fact]
    public async Task RepliesStreamThroughNginxFromBothInstancesAtOnceEachEventAsItIsWritten()
    {
        var release = new TaskCompletionSource();
        // Signed in on A: its bearer token is good on B too.
        using var onA = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Held ", "then ", "free."], HoldAfterChunks = 1, HoldUntil = release.Task });
        using var viaNginx = onA.Via(app.Proxy.BaseUrl);
        var agentId = await app.CreateAgentAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => viaNginx.SendAsync(agentId, $"Reply {i}", ct: Ct)));
        var readers = responses.Select(r => SseReader.ReadAsync(r, Ct).GetAsyncEnumerator(Ct)).ToList();
        var seen = readers.Select(_ => new List<ReceivedEvent>()).ToList();
        try
        {
            // Before the fake lets any reply go on, each one's first chunk has come through nginx: nothing waits in a buffer.
            for (var i = 0; i < readers.Count; i++)
            {
                while (seen[i].LastOrDefault()?.Type != "chunk")
                {
                    (await readers[i].MoveNextAsync()).ShouldBeTrue();
                    seen[i].Add(readers[i].Current);
                }
            }

            release.SetResult();
            for (var i = 0; i < readers.Count; i++)
            {
                while (await readers[i].MoveNextAsync())
                {
                    seen[i].Add(readers[i].Current);
                }
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }

            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        foreach (var events in seen)
        {
            string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe("Held then free.");
            events[^1].Type.ShouldBe("done");
        }

        var traceIds = seen.Select(events => events[0].Data.GetProperty("traceId").GetString()!).ToArray();
        var instances = await app.Database.QueryAsync("SELECT DISTINCT \"instanceKey\" FROM task_trace WHERE id = ANY($1)", [traceIds]);
        instances.Count.ShouldBe(2, "nginx spread the replies over both instances");
    }

    [Fact]
    public async Task AReplyResumedThroughNginxAfterTheConnectionIsCutContinuesWithoutAGapOnOneUpstreamCall()
    {
        var release = new TaskCompletionSource();
        using var onA = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 4, HoldUntil = release.Task });
        using var viaNginx = onA.Via(app.Proxy.BaseUrl);

        var before = await viaNginx.SendAndLeaveAsync(await app.CreateAgentAsync(), "Count slowly", chunks: 2, Ct);
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;
        // nginx takes turns, so the resume goes to the other instance than the send (the log says so below).
        var all = await viaNginx.ResumeAndReleaseAsync(before, releaseAt: Words[3], release, Ct);
        string.Concat(all.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe(string.Concat(Words));
        all[^1].Type.ShouldBe("done");
        app.Fake.RequestsFor(onA.ApiKey!).ShouldHaveSingleItem();
        var relayed = $"Reply {messageId} is followed from another instance";
        (app.Logs.Lines.Any(l => l.Contains(relayed)) || app.B.Logs.Lines.Any(l => l.Contains(relayed))).ShouldBeTrue("the resume was served by the instance that did not run the reply");
    }
}

/// <summary>The operator console through nginx: the circuit's WebSocket is upgraded and stays on one instance.</summary>
public sealed class BehindNginxUiTests(BrowserFixture browser, TwoInstancesBehindNginx app) : BrowserTest(browser, app), IClassFixture<TwoInstancesBehindNginx>
{
    private readonly TwoInstancesBehindNginx _app = app;

    protected override Uri SiteUrl => _app.Proxy.BaseUrl;

    [Fact]
    public async Task AnOperatorSignsInChatsAndReloadsThroughNginx()
    {
        var (ui, user, _) = await SignInWithAgentAsync(new FakeScenario { Chunks = ["Through ", "the ", "proxy."] });
        using var _ = user;
        Page.Url.ShouldStartWith(_app.Proxy.BaseUrl.ToString());
        await ui.SendAsync("Are you there?");
        await Expect(ui.LastReplyText).ToHaveTextAsync("Through the proxy.");
        await ScreenshotAsync("behind-nginx");

        await Page.ReloadAsync();
        await ui.WaitUntilInteractiveAsync();
        await Expect(ui.LastReplyText).ToHaveTextAsync("Through the proxy.");
    }
}
