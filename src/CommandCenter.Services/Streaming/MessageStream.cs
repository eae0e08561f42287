using System.Runtime.CompilerServices;
using CommandCenter.Services.Anthropic;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// A reply whose upstream call is open. Read its events once; dispose it in any case. However reading ends — done, error,
/// the consumer's cancellation, or the consumer walking away — the upstream call is closed and the trace settled.
/// </summary>
public sealed class MessageStream : IAsyncDisposable
{
    private readonly MessageStreamService _service;
    private readonly Turn _turn;
    private readonly AnthropicStream _upstream;
    private int _read;

    internal MessageStream(MessageStreamService service, Turn turn, AnthropicStream upstream, MetaEvent meta)
    {
        _service = service;
        _turn = turn;
        _upstream = upstream;
        Meta = meta;
    }

    public MetaEvent Meta { get; }

    public async IAsyncEnumerable<StreamEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _read, 1) == 1)
        {
            throw new InvalidOperationException("A reply stream can be read only once.");
        }

        try
        {
            yield return Meta;

            var outcome = TurnOutcome.Cancelled;
            string? error = null;
            await using (var events = _upstream.ReadEventsAsync(ct).GetAsyncEnumerator())
            {
                while (true)
                {
                    AnthropicEvent current;
                    try
                    {
                        if (!await events.MoveNextAsync())
                        {
                            (outcome, error) = (TurnOutcome.Failed, "The model's stream ended before the reply was complete.");
                            break;
                        }

                        current = events.Current;
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception e)
                    {
                        (outcome, error) = (TurnOutcome.Failed, _service.DescribeStreamFailure(_turn, e));
                        break;
                    }

                    if (current is TextDelta text)
                    {
                        _turn.FirstTokenTimestamp ??= _service.Now();
                        _turn.Text.Append(text.Text);
                        yield return new ChunkEvent(text.Text);
                        continue;
                    }

                    if (Apply(current) is { } ended)
                    {
                        (outcome, error) = ended;
                        break;
                    }
                }
            }

            // Close the upstream call before the database write, so a stop reaches Anthropic at once.
            await _upstream.DisposeAsync();
            var cost = await _service.SettleAsync(_turn, outcome, error);
            if (outcome == TurnOutcome.Failed)
            {
                yield return new ErrorEvent(error!);
                yield break;
            }

            yield return cost;
            if (outcome == TurnOutcome.Completed)
            {
                yield return DoneEvent.Instance;
            }
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <summary>Folds a non-text event into the turn; returns how the turn ended when the event ends it.</summary>
    private (TurnOutcome, string?)? Apply(AnthropicEvent current)
    {
        switch (current)
        {
            case MessageStarted started:
                _turn.Usage = _turn.Usage.Apply(started.Usage);
                _turn.UpstreamMessageId = started.MessageId;
                return null;
            case MessageDelta delta:
                _turn.Usage = _turn.Usage.Apply(delta.Usage);
                _turn.StopReason = delta.StopReason ?? _turn.StopReason;
                return null;
            case MessageStopped:
                return (TurnOutcome.Completed, null);
            case StreamError failure:
                return (TurnOutcome.Failed, $"Anthropic stream error ({failure.ErrorType}): {failure.Message}");
            default:
                return null;
        }
    }

    /// <summary>Closes the upstream call; a reply that was never read to its end is settled as cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        await _upstream.DisposeAsync();
        if (!_turn.IsSettled)
        {
            await _service.SettleAsync(_turn, TurnOutcome.Cancelled, null);
        }
    }
}
