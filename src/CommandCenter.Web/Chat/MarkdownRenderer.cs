using Ganss.Xss;
using Markdig;

namespace CommandCenter.Web.Chat;

/// <summary>
/// Model replies as HTML that cannot run anything: Markdig with raw HTML disabled (it is shown as text), then an
/// allow-list sanitizer for what Markdown itself can produce (javascript: links, remote images).
/// </summary>
internal sealed class MarkdownRenderer
{
    private readonly MarkdownPipeline _pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .UseAutoLinks()
        .UseSoftlineBreakAsHardlineBreak()
        .Use<SyntaxHighlighting>()
        .Build();

    private readonly HtmlSanitizer _sanitizer = CreateSanitizer();

    // Markdown's own HTML is disabled, so a <pre> can only be a code block: each gets a copy button (the page's script
    // handles its click).
    public string ToSafeHtml(string markdown) => _sanitizer.Sanitize(Markdown.ToHtml(markdown, _pipeline))
        .Replace("<pre>", """<div class="cc-code"><button type="button" class="cc-copy-code" aria-label="Copy code">Copy</button><pre>""", StringComparison.Ordinal)
        .Replace("</pre>", "</pre></div>", StringComparison.Ordinal);

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.UnionWith(["http", "https", "mailto"]);
        sanitizer.AllowedAttributes.Add("class");
        // A reply could otherwise load an image from any server, with conversation text in its address.
        sanitizer.AllowedTags.Remove("img");
        sanitizer.PostProcessNode += (_, e) =>
        {
            // Links from a model open in a new tab and never get the opener.
            if (e.Node is AngleSharp.Html.Dom.IHtmlAnchorElement anchor)
            {
                anchor.SetAttribute("target", "_blank");
                anchor.SetAttribute("rel", "noopener noreferrer nofollow");
            }
        };
        return sanitizer;
    }
}
