using Bunit;
using CommandCenter.Web.Chat;
using MudBlazor.Services;

namespace CommandCenter.Unit.Components;

/// <summary>The composer keeps its text in the browser: the server hears whether the box is empty, and gets the text once, to send it.</summary>
public sealed class ChatComposerTests : BunitContext
{
    private readonly BunitJSModuleInterop box;
    private readonly List<string> sent = [];

    public ChatComposerTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        box = JSInterop.SetupModule("./Chat/MessageBox.razor.js");
    }

    private IRenderedComponent<ChatComposer> RenderComposer(Func<string, Task>? onSend = null) =>
        Render<ChatComposer>(p => p.Add(c => c.CanSend, true).Add(c => c.OnSend, onSend ?? (text => { sent.Add(text); return Task.CompletedTask; })));

    private static MessageBox Box(IRenderedComponent<ChatComposer> cut) => cut.FindComponent<MessageBox>().Instance;

    private static bool SendDisabled(IRenderedComponent<ChatComposer> cut) => cut.Find("[data-testid=send]").HasAttribute("disabled");

    [Fact]
    public async Task SendIsEnabledOnlyWhileTheBrowserSaysTheBoxHasText()
    {
        var cut = RenderComposer();
        SendDisabled(cut).ShouldBeTrue();

        await cut.InvokeAsync(() => Box(cut).HasTextChanged(true));
        SendDisabled(cut).ShouldBeFalse();

        await cut.InvokeAsync(() => Box(cut).HasTextChanged(false));
        SendDisabled(cut).ShouldBeTrue();
    }

    [Fact]
    public void TheBoxIsNotBoundSoTypingSendsTheServerNothing()
    {
        var cut = RenderComposer();

        // No value and no input or change handler on the box: the browser keeps the text to itself until it is sent.
        var textarea = cut.Find("textarea[data-testid=composer]");
        textarea.HasAttribute("value").ShouldBeFalse();
        textarea.GetAttribute("maxlength").ShouldBe("32000");
        Should.Throw<MissingEventHandlerException>(() => textarea.Input("typed"));
    }

    [Fact]
    public async Task SendReadsTheBoxOnceAndAClickOrEnterMeanwhileDoesNothing()
    {
        var reading = box.Setup<string>("text", _ => true);
        var cut = RenderComposer();
        await cut.InvokeAsync(() => Box(cut).HasTextChanged(true));

        var click = cut.Find("[data-testid=send]").ClickAsync(new());
        SendDisabled(cut).ShouldBeTrue();
        await cut.InvokeAsync(() => Box(cut).Enter("typed meanwhile"));
        reading.SetResult("a long message");
        await click;

        sent.ShouldBe(["a long message"]);
        box.Invocations["text"].Count.ShouldBe(1);
    }

    [Fact]
    public async Task ASecondEnterBeforeThePageHasAnsweredTheFirstDoesNothing()
    {
        var page = new TaskCompletionSource();
        var cut = RenderComposer(text =>
        {
            sent.Add(text);
            return page.Task;
        });

        var first = cut.InvokeAsync(() => Box(cut).Enter("question"));
        await cut.InvokeAsync(() => Box(cut).Enter("question"));
        sent.ShouldBe(["question"]);

        // The page takes it (the box empties), and the composer is free again.
        box.Setup<bool>("setText", i => i.Arguments[1] is "").SetResult(false);
        await cut.InvokeAsync(() => cut.Instance.SetTextAsync(""));
        var next = cut.InvokeAsync(() => Box(cut).Enter("next"));
        page.SetResult();
        await first;
        await next;

        sent.ShouldBe(["question", "next"]);
    }

    [Fact]
    public async Task PuttingARefusedMessageBackEnablesSendAsTheBrowserAnswers()
    {
        box.Setup<bool>("setText", i => i.Arguments[1] is "refused").SetResult(true);
        var cut = RenderComposer();

        await cut.InvokeAsync(() => cut.Instance.SetTextAsync("refused"));

        SendDisabled(cut).ShouldBeFalse();
        box.Invocations["setText"].ShouldHaveSingleItem();
    }
}
