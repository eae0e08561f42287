using CommandCenter.Services;
using Npgsql;

namespace CommandCenter.Unit.Services;

public sealed class ConnectionPoolTests
{
    [Fact]
    public void AConnectionStringWithoutAPoolSizeGetsOneWellBelowPostgresDefaultLimit()
    {
        var bounded = new NpgsqlConnectionStringBuilder(CommandCenterServicesExtensions.WithBoundedPool("Host=127.0.0.1;Database=cc;Username=app"));

        bounded.MaxPoolSize.ShouldBe(CommandCenterServicesExtensions.DefaultMaxPoolSize);
        bounded.MaxPoolSize.ShouldBeLessThan(100);
        bounded.Database.ShouldBe("cc");
    }

    [Theory]
    [InlineData("Host=db;Database=cc;Maximum Pool Size=7")]
    [InlineData("Host=db;Database=cc;maxpoolsize=7")]
    public void APoolSizeTheOperatorSetIsKept(string connectionString)
    {
        var kept = CommandCenterServicesExtensions.WithBoundedPool(connectionString);

        kept.ShouldBe(connectionString);
        new NpgsqlConnectionStringBuilder(kept).MaxPoolSize.ShouldBe(7);
    }
}
