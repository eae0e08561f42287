using CommandCenter.Services;
using Npgsql;

namespace CommandCenter.Unit.Services;

public sealed class ConnectionPoolTests
{
    [Fact]
    public void AConnectionStringWithoutAPoolSizeGetsOneWellBelowPostgresDefaultLimit()
    {
        var bounded = new NpgsqlConnectionStringBuilder(CommandCenterServicesExtensions.WithPoolDefaults("Host=127.0.0.1;Database=cc;Username=app"));

        bounded.MaxPoolSize.ShouldBe(CommandCenterServicesExtensions.DefaultMaxPoolSize);
        bounded.MaxPoolSize.ShouldBeLessThan(100);
        bounded.Database.ShouldBe("cc");
    }

    [Theory]
    [InlineData("Host=db;Database=cc;Maximum Pool Size=7")]
    [InlineData("Host=db;Database=cc;maxpoolsize=7")]
    public void APoolSizeTheOperatorSetIsKept(string connectionString)
    {
        var kept = CommandCenterServicesExtensions.WithPoolDefaults(connectionString);

        new NpgsqlConnectionStringBuilder(kept).MaxPoolSize.ShouldBe(7);
    }

    [Fact]
    public void PooledConnectionsAreNotResetOnReturnUnlessTheOperatorSaysSo()
    {
        new NpgsqlConnectionStringBuilder(CommandCenterServicesExtensions.WithPoolDefaults("Host=db;Database=cc")).NoResetOnClose.ShouldBeTrue();
        new NpgsqlConnectionStringBuilder(CommandCenterServicesExtensions.WithPoolDefaults("Host=db;Database=cc;No Reset On Close=false")).NoResetOnClose.ShouldBeFalse();
    }

    [Fact]
    public void OftenRunStatementsArePreparedUnlessTheOperatorSaysOtherwise()
    {
        new NpgsqlConnectionStringBuilder(CommandCenterServicesExtensions.WithPoolDefaults("Host=db;Database=cc")).MaxAutoPrepare
            .ShouldBe(CommandCenterServicesExtensions.DefaultMaxAutoPrepare);
        new NpgsqlConnectionStringBuilder(CommandCenterServicesExtensions.WithPoolDefaults("Host=db;Database=cc;Max Auto Prepare=0")).MaxAutoPrepare.ShouldBe(0);
    }
}
