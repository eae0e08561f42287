using CommandCenter.E2E.Infrastructure;

namespace CommandCenter.E2E.Deploy;

/// <summary>
/// Two instances of the app, started together on one fresh database (so their migrations meet), behind a real nginx
/// running deploy/nginx.conf, as the README's deployment guide sets them up.
/// </summary>
public sealed class TwoInstancesBehindNginx : CommandCenterApp
{
    public CommandCenterApp B { get; private set; } = null!;

    public NginxProxy Proxy { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("ForwardedHeaders:Enabled", "true")];

    protected override void StartInstances()
    {
        B = AnotherInstance();
        Parallel.Invoke(Start, B.Start);
    }

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Proxy = await NginxProxy.StartAsync(BaseUrl, B.BaseUrl);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        await B.DisposeAsync();
        await base.DisposeAsync();
    }
}
