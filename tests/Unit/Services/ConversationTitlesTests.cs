using System.Text;
using CommandCenter.Services.Conversations;

namespace CommandCenter.Unit.Services;

public sealed class ConversationTitlesTests
{
    [Fact]
    public void ShortMessageIsItsOwnTitle()
    {
        ConversationTitles.From("What is our refund policy?").ShouldBe("What is our refund policy?");
    }

    [Theory]
    [InlineData("**Plan** the `migration` for _Friday_", "Plan the migration for Friday")]
    [InlineData("## Release notes", "Release notes")]
    [InlineData("> quoted ~~old~~ idea", "quoted old idea")]
    [InlineData("- first item", "first item")]
    [InlineData("1. step one", "step one")]
    [InlineData("See [the docs](https://example.com) and ![chart](x.png)", "See the docs and chart")]
    [InlineData("rename my_var_name to *x*", "rename my_var_name to x")]
    [InlineData("2 * 3 * 4", "2 * 3 * 4")]
    public void MarkdownMarksAreDroppedFromTheTitle(string message, string expected)
    {
        ConversationTitles.From(message).ShouldBe(expected);
    }

    [Theory]
    [InlineData("First line\nSecond line", "First line")]
    [InlineData("First line\r\nSecond line", "First line")]
    [InlineData("\n\n  First line  \nSecond", "First line")]
    public void TitleIsTheFirstNonBlankLine(string message, string expected)
    {
        ConversationTitles.From(message).ShouldBe(expected);
    }

    [Theory]
    [InlineData("  lots   of \t spaces  ", "lots of spaces")]
    [InlineData("tab\tseparated\u00a0words", "tab separated words")]
    public void WhitespaceIsCollapsed(string message, string expected)
    {
        ConversationTitles.From(message).ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\r\n\t")]
    public void EmptyMessageGetsTheDefaultTitle(string message)
    {
        ConversationTitles.From(message).ShouldBe("New conversation");
    }

    [Fact]
    public void LineOfExactlyTheLimitIsKept()
    {
        var line = new string('a', 39) + " " + new string('b', 40);

        ConversationTitles.From(line).ShouldBe(line);
    }

    [Fact]
    public void LongTextIsCutAtAWordWithAnEllipsis()
    {
        const string message = "Please summarise the attached quarterly report and list the three biggest risks for the board meeting next week";

        var title = ConversationTitles.From(message);

        title.ShouldBe("Please summarise the attached quarterly report and list the three biggest risks…");
        title.Length.ShouldBeLessThanOrEqualTo(ConversationTitles.MaxLength);
    }

    [Fact]
    public void WordEndingJustBeforeTheEllipsisIsKept()
    {
        // 79 characters of whole words, then more: the title is those 79 characters and the ellipsis, 80 in all.
        var words = new string('a', 40) + " " + new string('b', 38);
        words.Length.ShouldBe(79);

        ConversationTitles.From(words + " more words").ShouldBe(words + "…");
    }

    [Fact]
    public void OneLongWordIsCutInsideTheWord()
    {
        var title = ConversationTitles.From(new string('x', 200));

        title.ShouldBe(new string('x', 79) + "…");
    }

    [Fact]
    public void TextWhoseOnlyBreakIsEarlyIsCutInsideTheWordRatherThanLosingMostOfIt()
    {
        var title = ConversationTitles.From("short " + new string('y', 200));

        title.ShouldBe("short " + new string('y', 73) + "…");
    }

    [Fact]
    public void OnlyTheFirstLineCountsTowardsTheLength()
    {
        ConversationTitles.From("Short first line\n" + new string('z', 500)).ShouldBe("Short first line");
    }

    [Fact]
    public void CutNeverSplitsASurrogatePair()
    {
        var title = ConversationTitles.From(string.Concat(Enumerable.Repeat("😀", 60)));

        title.EndsWith('…').ShouldBeTrue();
        char.IsHighSurrogate(title[^2]).ShouldBeFalse($"title ends with a lone high surrogate U+{(int)title[^2]:X4}");
        Should.NotThrow(() => new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(title));
    }
}
