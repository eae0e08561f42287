using System.Diagnostics;

namespace CommandCenter.Bench;

/// <summary>CPU time used by the app, PostgreSQL and the load generator (with the fake upstream) over a phase, from /proc.</summary>
internal sealed class CpuShare(int appProcessId)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public (double App, double Postgres, double LoadAndFake) Seconds()
    {
        var app = ProcessSeconds(appProcessId);
        var postgres = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && Name(pid) == "postgres")
            .Sum(ProcessSeconds);
        return (app, postgres, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
    }

    public async Task<string> MeasureAsync(Func<Task> phase, TimeSpan wall)
    {
        var before = Seconds();
        var clock = Stopwatch.StartNew();
        await phase();
        var after = Seconds();
        var elapsed = clock.Elapsed.TotalSeconds;
        return $"CPU over the phase ({elapsed:0} s on {Environment.ProcessorCount} cores, {Environment.ProcessorCount * elapsed:0} core-seconds): " +
            $"app {after.App - before.App:0.0} s, PostgreSQL {after.Postgres - before.Postgres:0.0} s, load generator and fake {after.LoadAndFake - before.LoadAndFake:0.0} s";
    }

    private static double ProcessSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond; // utime, stime
        }
        catch (IOException)
        {
            return 0; // gone meanwhile
        }
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
