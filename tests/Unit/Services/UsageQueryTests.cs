using CommandCenter.Services.Usage;
using CommandCenter.Services.Validation;

namespace CommandCenter.Unit.Services;

public sealed class UsageQueryTests
{
    private static readonly DateOnly Today = new(2026, 11, 27);

    [Fact]
    public void WithNothingGivenItIsTheLast30DaysByDay()
    {
        var query = UsageQuery.Parse(null, null, null, null, Today);

        (query.From, query.To, query.UserId).ShouldBe((new DateOnly(2026, 10, 29), Today, (string?)null));
        query.GroupBy.ShouldBe([UsageDimension.Day]);
    }

    [Fact]
    public void DimensionsAreCaseInsensitiveAndKeptOnceInTheOrderGiven()
    {
        UsageQuery.Parse("2026-01-01", "2026-01-31", " Model,day,model ", null, Today).GroupBy.ShouldBe([UsageDimension.Model, UsageDimension.Day]);
    }

    [Theory]
    [InlineData("2026-13-01", null, "from")]
    [InlineData("0001-01-01", "9999-12-31", "to")]
    [InlineData("2026-1-1", null, "from")]
    [InlineData(null, "27/11/2026", "to")]
    public void DatesOutOfRangeOrOfTheWrongShapeAreRefusedByName(string? from, string? to, string field)
    {
        var refused = Should.Throw<InvalidInputException>(() => UsageQuery.Parse(from, to, null, null, Today));

        refused.Errors.Keys.ShouldContain(field);
    }

    [Fact]
    public void TheLongestRangeIsAYearAndADay()
    {
        UsageQuery.Parse("2025-11-27", "2026-11-27", null, null, Today).To.ShouldBe(Today);
        Should.Throw<InvalidInputException>(() => UsageQuery.Parse("2025-11-26", "2026-11-27", null, null, Today)).Errors.Keys.ShouldBe(["to"]);
    }
}
