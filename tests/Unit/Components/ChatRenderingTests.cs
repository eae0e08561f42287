using Bunit;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using CommandCenter.Web.Chat;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace CommandCenter.Unit.Components;

/// <summary>The chat's parts render when their own data changes, not whenever the page renders.</summary>
public sealed class ChatRenderingTests : BunitContext
{
    private static readonly AgentView Agent = new("a1", "Helper", "", "claude-sonnet-4-5", "", 1024, AgentStatus.Active, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    public ChatRenderingTests()
    {
        Services.AddMudServices();
        Services.AddSingleton<MarkdownRenderer>();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Render<MudPopoverProvider>();
    }

    [Fact]
    public void TheMessageListRendersWhenTheListChangesNotWhenAReplyGrowsOrThePageRendersAgain()
    {
        List<ChatMessage> messages = [new(MessageRole.User, "Hi")];
        var cut = Render<ChatMessageList>(p => p.Add(c => c.Messages, messages).Add(c => c.Version, 1));
        var renders = cut.RenderCount;

        // The page rendering again for something else (a banner, the header) with the same list.
        cut.Render(p => p.Add(c => c.Messages, messages).Add(c => c.Version, 1));
        cut.RenderCount.ShouldBe(renders);

        var reply = new ChatMessage(MessageRole.Assistant, state: ChatMessageState.Streaming);
        messages.Add(reply);
        cut.Render(p => p.Add(c => c.Messages, messages).Add(c => c.Version, 2));
        cut.RenderCount.ShouldBe(renders + 1);
        cut.FindAll("[data-testid=assistant-message]").Count.ShouldBe(1);

        // A growing reply renders its own message only: every render seen from the list is that message's.
        var item = cut.FindComponents<ChatMessageItem>()[1];
        var (listRenders, itemRenders) = (cut.RenderCount, item.RenderCount);
        reply.Append("Hello there");
        cut.WaitForAssertion(() => cut.Find("[data-testid=reply-text]").TextContent.Trim().ShouldBe("Hello there"));
        item.RenderCount.ShouldBeGreaterThan(itemRenders);
        (cut.RenderCount - listRenders).ShouldBe(item.RenderCount - itemRenders);
    }

    [Fact]
    public void TheEmptyListInvitesAQuestion()
    {
        var cut = Render<ChatMessageList>(p => p.Add(c => c.Messages, []).Add(c => c.Version, 0));

        cut.Find(".cc-empty").TextContent.ShouldContain("Ask an agent anything");
        cut.Find("[data-testid=messages]").GetAttribute("aria-live").ShouldBe("polite");
    }

    [Fact]
    public void TheHeaderRendersWhenWhatItShowsChanges()
    {
        IReadOnlyList<AgentView> agents = [Agent];
        IReadOnlyList<BudgetView> budgets = [];
        var prices = new Dictionary<string, ModelPrice>();
        var cut = Render<ChatHeader>(p => p.Add(c => c.Agents, agents).Add(c => c.Prices, prices).Add(c => c.AgentId, "a1")
            .Add(c => c.Budgets, budgets).Add(c => c.SessionTotal, 0.5m));
        var renders = cut.RenderCount;

        cut.Render(p => p.Add(c => c.Agents, agents).Add(c => c.Prices, prices).Add(c => c.AgentId, "a1")
            .Add(c => c.Budgets, budgets).Add(c => c.SessionTotal, 0.5m));
        cut.RenderCount.ShouldBe(renders);

        cut.Render(p => p.Add(c => c.Agents, agents).Add(c => c.Prices, prices).Add(c => c.AgentId, "a1")
            .Add(c => c.Budgets, budgets).Add(c => c.SessionTotal, 0.75m));
        cut.RenderCount.ShouldBe(renders + 1);
        cut.Find("[data-testid=session-total]").TextContent.ShouldBe("Session $0.750000");

        IReadOnlyList<BudgetView> refreshed = [new(BudgetScope.User, "u1", "me", 10m, new DateOnly(2026, 11, 1), 4m, 0m, 6m)];
        cut.Render(p => p.Add(c => c.Agents, agents).Add(c => c.Prices, prices).Add(c => c.AgentId, "a1")
            .Add(c => c.Budgets, refreshed).Add(c => c.SessionTotal, 0.75m));
        cut.RenderCount.ShouldBe(renders + 2);
        cut.Find("[data-testid=budget-left]").TextContent.ShouldBe("Budget $6.000000 left");
    }
}
