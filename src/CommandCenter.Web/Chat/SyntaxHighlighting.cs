using ColorCode;
using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;

namespace CommandCenter.Web.Chat;

/// <summary>
/// Fenced code blocks in a language ColorCode knows (```csharp, ```python, ```sql, …) are written as spans with a class
/// per token kind (<c>keyword</c>, <c>string</c>, <c>comment</c>, …), styled by app.css; any other block as plain text.
/// On the server, so a reply is highlighted as it streams and no script runs in the page for it.
/// </summary>
internal sealed class SyntaxHighlighting : IMarkdownExtension
{
    public void Setup(MarkdownPipelineBuilder pipeline)
    {
    }

    public void Setup(MarkdownPipeline pipeline, IMarkdownRenderer renderer)
    {
        if (renderer is HtmlRenderer html && html.ObjectRenderers.FindExact<CodeBlockRenderer>() is { } plain)
        {
            html.ObjectRenderers.Replace<CodeBlockRenderer>(new HighlightedCodeBlocks(plain));
        }
    }

    private sealed class HighlightedCodeBlocks(CodeBlockRenderer plain) : HtmlObjectRenderer<CodeBlock>
    {
        protected override void Write(HtmlRenderer renderer, CodeBlock block)
        {
            if (block is not FencedCodeBlock { Info: { Length: > 0 } info } || Languages.FindById(info.ToLowerInvariant()) is not { } language)
            {
                plain.Write(renderer, block);
                return;
            }

            // A formatter per block: ColorCode's formatters are not documented as safe to share between threads.
            var html = new HtmlClassFormatter().GetHtmlString(block.Lines.ToString(), language);
            // It wraps the tokens in <div class="…"><pre>…</pre></div>; the page wants Markdig's <pre><code> around them.
            var start = html.IndexOf("<pre>", StringComparison.Ordinal) + "<pre>".Length;
            var end = html.LastIndexOf("</pre>", StringComparison.Ordinal);
            renderer.Write("<pre><code class=\"language-").WriteEscape(info).Write("\">")
                .Write(html.AsSpan(start, end - start).Trim('\n').ToString())
                .WriteLine("\n</code></pre>");
        }
    }
}
