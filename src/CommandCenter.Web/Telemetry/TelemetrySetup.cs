using CommandCenter.Services.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CommandCenter.Web.Telemetry;

/// <summary>
/// OpenTelemetry with the standard packages: the reply activities and metrics (<see cref="ReplyTelemetry"/>), incoming
/// requests and outgoing calls (so a reply links the request that started it to its Anthropic call), and logs that carry
/// the trace and span ids. Exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and to the console with
/// <c>Telemetry__Console=true</c>; otherwise nothing leaves the process.
/// </summary>
internal static class TelemetrySetup
{
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var console = builder.Configuration.GetValue<bool>("Telemetry:Console");
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("command-center"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(ReplyTelemetry.Name)
                    // The circuit's long-lived WebSocket and static files are not work worth a span each.
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/_blazor") && !context.Request.Path.StartsWithSegments("/_content"))
                    .AddHttpClientInstrumentation();
                if (console)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ReplyTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (console)
                {
                    metrics.AddConsoleExporter();
                }
            })
            .WithLogging(logging =>
            {
                if (console)
                {
                    logging.AddConsoleExporter();
                }
            }, options => options.IncludeFormattedMessage = true);
        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }

        // Every log line, whatever writes it, carries the trace and span it happened in.
        builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        return builder;
    }
}
