using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.IntegrationKeys;
using CommandCenter.Services.Models;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;
using CommandCenter.Services.Traces;
using CommandCenter.Services.Usage;
using CommandCenter.Services.Users;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services;

public static class CommandCenterServicesExtensions
{
    public const string ConnectionStringName = "CommandCenter";

    /// <summary>The database, the streaming pipeline and everything it stands on.</summary>
    public static IHostApplicationBuilder AddCommandCenterServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var connectionString = WithPoolDefaults(builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"Connection string '{ConnectionStringName}' is not set (ConnectionStrings__{ConnectionStringName})."));

        // First of the hosted services: the database must be migrated before anything (Data Protection's key ring, say) reads it.
        services.AddHostedService<DatabaseInitializer>();

        // Pages hold a context per operation (factory); request handlers and Identity's stores take the scoped one.
        services.AddDbContextFactory<CommandCenterDbContext>((sp, options) => options
            .UseNpgsql(connectionString)
            .AddInterceptors([new BrokenConnectionInterceptor(), .. sp.GetServices<IInterceptor>()]));
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<CommandCenterDbContext>>().CreateDbContext());

        services.AddProtectedKeyRing(builder.Configuration);

        services.AddOptions<AnthropicOptions>().BindConfiguration(AnthropicOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<AnthropicClient>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // An abandoned reply must close its connection at once (that is what stops generation), not drain first.
                MaxResponseDrainSize = 0,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ShortCache>();
        services.AddSingleton<IDatabaseNotifications>(sp => sp.GetRequiredService<ShortCache>());
        services.AddHostedService<DatabaseListener>();
        services.AddSingleton<AnthropicKeyVault>();
        services.AddSingleton<PriceBook>();
        services.AddSingleton<BudgetBook>();
        services.AddSingleton<IntegrationKeyStore>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<AgentCatalog>();
        services.AddSingleton<ConversationStore>();
        services.AddOptions<Files.FilesOptions>().BindConfiguration(Files.FilesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Files.FileStore>();
        services.AddSingleton<Files.AttachmentSender>();
        services.AddSingleton<UsageStore>();
        services.AddSingleton<TraceExplorer>();
        services.AddOptions<StreamingOptions>().BindConfiguration(StreamingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ReplyRecorder>();
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // The host waits for the drain and then for the last records.
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.DrainTimeout + TimeSpan.FromSeconds(15));
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ReplyLimits>();
        services.AddSingleton<LiveReplies>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveReplies>());
        services.AddSingleton<ReplyService>();
        services.AddSingleton<MessagePathWarmUp>();
        services.AddSingleton<Gateway.GatewayService>();
        services.AddSingleton<ReplyRelay>();
        services.AddSingleton<WatchedReplies>();
        services.AddSingleton<IDatabaseNotifications>(sp => sp.GetRequiredService<ReplyRelay>());
        services.AddSingleton<UserAccounts>();

        services.AddSingleton<InstanceLease>();
        services.AddHostedService<StaleTraceReaper>();
        return builder;
    }

    /// <summary>Connections one instance may hold when the connection string does not say: well under PostgreSQL's default 100.</summary>
    public const int DefaultMaxPoolSize = 30;

    /// <summary>Statements each connection keeps prepared when the connection string does not say: a reply's nine and the hot reads fit.</summary>
    public const int DefaultMaxAutoPrepare = 32;

    /// <summary>
    /// The connection string with the pool's defaults, each unless it sets it itself: <c>Maximum Pool Size</c> set to
    /// <see cref="DefaultMaxPoolSize"/>, so that a burst of requests waits for a connection instead of exhausting the
    /// server's; and <c>No Reset On Close</c>, since no pooled connection carries session state (the listener, the lease and
    /// the migration lock use unpooled connections of their own, the usage report's <c>SET LOCAL</c> ends with its
    /// transaction, the reaper releases its advisory locks itself): the <c>DISCARD ALL</c> Npgsql would otherwise run on
    /// each reuse was 3 of a reply's 12 statements; and <c>Max Auto Prepare</c> set to <see cref="DefaultMaxAutoPrepare"/>,
    /// so that a statement run often (a reply's inserts and updates) is parsed and planned once per connection, not on
    /// every run: PostgreSQL's CPU per reply fell from 2.6–2.8 to 1.8–2.0 core-ms (bench/RESULTS.md). A pooler that cannot
    /// keep prepared statements (PgBouncer in transaction mode before 1.21) wants <c>Max Auto Prepare=0</c>.
    /// </summary>
    public static string WithPoolDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal)).ToList();
        bool Sets(params string[] names) => given.Any(key => names.Any(name => key.Equals(name, StringComparison.OrdinalIgnoreCase)));
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets("MaximumPoolSize", "MaxPoolSize"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        if (!Sets("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!Sets("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        return builder.ConnectionString;
    }
}
