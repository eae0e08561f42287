using System.Reflection;
using System.Runtime.CompilerServices;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;

namespace CommandCenter.Unit.Services;

/// <summary>A reply's rows are made whole, budget charges included, and after that only their own methods (which the recorder calls) change them.</summary>
public sealed class ReplyRowsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);
    private static readonly ModelPrice Price = new() { Id = 1, Model = "claude-sonnet-4-5", InputPerMTok = 3m, OutputPerMTok = 15m };

    private static ReplyRows Rows(string? traceId = null, IReadOnlyList<BudgetCharge>? charges = null) => ReplyRows.Create(
        "user-1", new Agent { Id = "agent-1", Name = "Terse", Model = Price.Model, MaxTokens = 100 }, Price,
        new Conversation { Id = "conversation-1", OwnerId = "user-1", AgentId = "agent-1", Title = "Hi" }, isNewConversation: true, position: 0,
        "Hi", new ConversationHistory.Prompt(null, [], 0, 0), instanceKey: 1, Now, traceId: traceId, charges: charges);

    private static BudgetCharge Reserved(string traceId, string scope, decimal worstCase) => new()
    {
        TraceId = traceId, Scope = scope, SubjectId = "subject-of-" + scope, Month = BudgetCharge.MonthOf(Now), Amount = worstCase, CreatedAt = Now,
    };

    [Fact]
    public void NoPropertyCanBeSetAfterTheRowsAreMade()
    {
        // Whoever starts a reply (the chat's ReplyService, the gateway) hands its rows over whole: a public setter would
        // let it, or anyone, write them beside the recorder again.
        var settable = typeof(ReplyRows).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } setter
                && !setter.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit)))
            .Select(p => p.Name)
            .ToList();

        settable.ShouldBeEmpty();
    }

    [Fact]
    public void ChargesReservedForTheTraceStayReservedThroughAContinuationAndSettleToTheReplysCostAtItsEnd()
    {
        var traceId = "trace-1";
        var charges = new[] { Reserved(traceId, BudgetScope.User, 0.5m), Reserved(traceId, BudgetScope.Agent, 0.5m) };
        var rows = Rows(traceId, charges);
        rows.Trace.Id.ShouldBe(traceId);
        rows.Charges.ShouldBe(charges);

        rows.Continue(new ReplySnapshot(ReplyOutcome.Running, new TokenUsage(1_000, 100)), Now.AddSeconds(5));
        charges.ShouldAllBe(c => !c.Settled && c.Amount == 0.5m);

        var cost = rows.Apply(new ReplySnapshot(ReplyOutcome.Completed, new TokenUsage(1_000, 200)) { Duration = TimeSpan.FromSeconds(9) }, Now.AddSeconds(9));
        // Two calls: 2,000 in at $3/MTok and 300 out at $15/MTok.
        cost.TotalCost.ShouldBe(0.0105m);
        charges.ShouldAllBe(c => c.Settled && c.Amount == 0.0105m);
    }

    [Fact]
    public void ChargesOfAnotherTraceAreRefused()
    {
        Should.Throw<ArgumentException>(() => Rows("trace-1", [Reserved("trace-2", BudgetScope.User, 0.5m)]));
        Should.Throw<ArgumentException>(() => Rows(charges: [Reserved("trace-2", BudgetScope.User, 0.5m)]));
    }
}
