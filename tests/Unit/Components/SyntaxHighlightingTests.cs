using AngleSharp.Html.Parser;
using CommandCenter.Web.Chat;

namespace CommandCenter.Unit.Components;

public sealed class SyntaxHighlightingTests
{
    private readonly MarkdownRenderer _renderer = new();

    private AngleSharp.Dom.IElement Code(string markdown) =>
        new HtmlParser().ParseDocument("<body>" + _renderer.ToSafeHtml(markdown) + "</body>").Body!.QuerySelector("pre code")!;

    [Fact]
    public void AFencedBlockInAKnownLanguageGetsATokenClassPerKindAndKeepsItsText()
    {
        const string source = "var greeting = \"hi\"; // say it\nint count = 2;";

        var code = Code($"```csharp\n{source}\n```");

        code.ClassName.ShouldBe("language-csharp");
        code.TextContent.ShouldBe(source + "\n", "as Markdig writes a code block");
        code.QuerySelectorAll(".keyword").Select(e => e.TextContent).ShouldBe(["var", "int"]);
        code.QuerySelector(".string")!.TextContent.ShouldBe("\"hi\"");
        code.QuerySelector(".comment")!.TextContent.ShouldBe("// say it");
        code.QuerySelector(".number")!.TextContent.ShouldBe("2");
    }

    [Theory]
    [InlineData("```\nSELECT 1;\n```")]
    [InlineData("```klingon\nQapla'\n```")]
    [InlineData("    indented code")]
    public void OtherBlocksStayPlainText(string markdown)
    {
        var code = Code(markdown);

        code.QuerySelectorAll("span").ShouldBeEmpty();
    }

    [Fact]
    public void MarkupInsideCodeIsTextNotHtml()
    {
        var code = Code("```html\n<script>alert(1)</script>\n```");

        code.QuerySelectorAll("script").ShouldBeEmpty();
        code.TextContent.ShouldBe("<script>alert(1)</script>\n");
    }
}
