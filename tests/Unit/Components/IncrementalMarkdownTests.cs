using CommandCenter.Web.Chat;

namespace CommandCenter.Unit.Components;

public sealed class IncrementalMarkdownTests
{
    private static readonly MarkdownRenderer Renderer = new();

    private const string Reply = """
        # Plan

        Some **bold** prose with a [link](https://example.com) and `code`.

        1. Freeze writes
        2. Copy the data

        3. Verify counts

        ```sql
        SELECT count(*) FROM task_trace;

        SELECT 1;
        ```

        - a tight list
        - of two

        > a quote
        > of two lines

        | a | b |
        |---|---|
        | 1 | 2 |

        Then <script>alert(1)</script> and a [bad link](javascript:alert(1)) and ![an image](https://evil.example/x.png).

        The end.
        """;

    [Fact]
    public void StreamedPieceByPieceEveryUpdateIsWhatRenderingThatMuchWholeGives()
    {
        foreach (var pieceSize in new[] { 1, 3, 7, 40 })
        {
            var markdown = new IncrementalMarkdown(Renderer);
            for (var end = pieceSize; end < Reply.Length + pieceSize; end += pieceSize)
            {
                var sofar = Reply[..Math.Min(end, Reply.Length)];
                markdown.Render(sofar, complete: false).ShouldBe(Renderer.ToSafeHtml(sofar), $"after {sofar.Length} characters in pieces of {pieceSize}");
            }

            markdown.Render(Reply, complete: true).ShouldBe(Renderer.ToSafeHtml(Reply));
        }
    }

    [Fact]
    public void OnlyTheOpenTailIsRenderedAgainSoTheWorkPerUpdateDoesNotGrowWithTheReply()
    {
        var paragraphs = string.Concat(Enumerable.Range(0, 200).Select(i => $"Paragraph {i} of a long reply.\n\n"));

        IncrementalMarkdown.LastClosedBlockEnd(paragraphs + "Paragraph 200 still gro", 0).ShouldBe(paragraphs.Length);
        IncrementalMarkdown.LastClosedBlockEnd(paragraphs + "```\ncode\n\nstill open", 0).ShouldBe(paragraphs.Length, "not inside an open fence");
        IncrementalMarkdown.LastClosedBlockEnd("- item\n\n- another item\n", 0).ShouldBe(0, "a list item may continue the list above");
        IncrementalMarkdown.LastClosedBlockEnd("1. one\n\n2. two\n", 0).ShouldBe(0);
        IncrementalMarkdown.LastClosedBlockEnd("text\n\n    indented\n", 0).ShouldBe(0);
    }

    [Fact]
    public void TextThatIsNotAContinuationStartsOver()
    {
        var markdown = new IncrementalMarkdown(Renderer);
        markdown.Render("First paragraph.\n\nSecond", complete: false);

        markdown.Render("Something else.\n\nEntirely", complete: false).ShouldBe(Renderer.ToSafeHtml("Something else.\n\nEntirely"));
    }
}
