using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CommandCenter.Services.Data;

/// <summary>For <c>dotnet ef</c> only: migrations are generated without a database or the web host.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<CommandCenterDbContext>
{
    public CommandCenterDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CommandCenterDbContext>().UseNpgsql("Host=127.0.0.1;Database=design_time").Options);
}
