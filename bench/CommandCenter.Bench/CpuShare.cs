using System.Diagnostics;

namespace CommandCenter.Bench;

/// <summary>CPU time used by the app, PostgreSQL and the load generator (with the fake upstream) over a phase, from /proc.</summary>
/// <remarks>
/// PostgreSQL is the bench's own cluster only (its postmaster, from <c>CC_PG_DATA/postmaster.pid</c>, and the postmaster's
/// children, the backends that have exited included): other clusters on the machine (other worktrees' test runs) are not
/// counted. When the postmaster cannot be found, every process named <c>postgres</c> is counted, and the figure says so.
/// </remarks>
internal sealed class CpuShare(int appProcessId)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    private readonly int? _postmaster = Postmaster();

    /// <summary>Whether PostgreSQL's figure is the bench's cluster alone (otherwise every <c>postgres</c> process on the machine).</summary>
    public bool PostgresIsOwnCluster => _postmaster is not null;

    public CpuSample Seconds()
    {
        var app = ProcessSeconds(appProcessId);
        var postgres = _postmaster is { } postmaster
            // Children that exited meanwhile have their time in the postmaster's cutime/cstime once reaped.
            ? ProcessSeconds(postmaster, withReapedChildren: true) + Processes().Where(pid => ParentOf(pid) == postmaster).Sum(pid => ProcessSeconds(pid))
            : Processes().Where(pid => Name(pid) == "postgres").Sum(pid => ProcessSeconds(pid));
        return new(app, postgres, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, Stopwatch.GetTimestamp());
    }

    public async Task<string> MeasureAsync(Func<Task> phase, TimeSpan wall) => (await MeasureSplitAsync(phase)).ToString();

    public async Task<CpuUse> MeasureSplitAsync(Func<Task> phase)
    {
        var before = Seconds();
        await phase();
        return new CpuUse(before, Seconds(), PostgresIsOwnCluster);
    }

    private static IEnumerable<int> Processes() => Directory.EnumerateDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
        .Where(pid => pid > 0);

    private static int? Postmaster()
    {
        var data = Environment.GetEnvironmentVariable("CC_PG_DATA");
        try
        {
            return data is not null && int.TryParse(File.ReadLines(Path.Combine(data, "postmaster.pid")).First(), out var pid) && Name(pid) == "postgres" ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from the 3rd (state) on
        }
        catch (IOException)
        {
            return null; // gone meanwhile
        }
    }

    private static int ParentOf(int pid) => Stat(pid) is { } fields ? int.Parse(fields[1]) : 0;

    private static double ProcessSeconds(int pid, bool withReapedChildren = false)
    {
        if (Stat(pid) is not { } fields)
        {
            return 0;
        }

        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime
        if (withReapedChildren)
        {
            ticks += long.Parse(fields[13]) + long.Parse(fields[14]); // cutime, cstime
        }

        return ticks / TicksPerSecond;
    }

    private static string Name(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }
}

/// <summary>CPU seconds used so far by each party, and when they were read.</summary>
internal readonly record struct CpuSample(double App, double Postgres, double LoadAndFake, long Timestamp);

/// <summary>The CPU each party used between two samples.</summary>
internal sealed record CpuUse(CpuSample Before, CpuSample After, bool PostgresIsOwnCluster)
{
    public double Elapsed => Stopwatch.GetElapsedTime(Before.Timestamp, After.Timestamp).TotalSeconds;

    public double App => After.App - Before.App;

    public double Postgres => After.Postgres - Before.Postgres;

    public double LoadAndFake => After.LoadAndFake - Before.LoadAndFake;

    public override string ToString() =>
        $"CPU over the phase ({Elapsed:0} s on {Environment.ProcessorCount} cores, {Environment.ProcessorCount * Elapsed:0} core-seconds): " +
        $"app {App:0.0} s, PostgreSQL{(PostgresIsOwnCluster ? "" : " (every postgres process on the machine)")} {Postgres:0.0} s, load generator and fake {LoadAndFake:0.0} s";
}
