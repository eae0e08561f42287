using CommandCenter.Web.Files;
using CommandCenter.Services;
using CommandCenter.Web;
using CommandCenter.Web.Agents;
using CommandCenter.Web.AnthropicKeys;
using CommandCenter.Web.Auth;
using CommandCenter.Web.Budgets;
using CommandCenter.Web.Components;
using CommandCenter.Web.Conversations;
using CommandCenter.Web.Gateway;
using CommandCenter.Web.Health;
using CommandCenter.Web.IntegrationKeys;
using CommandCenter.Web.Models;
using CommandCenter.Web.Pricing;
using CommandCenter.Web.Streaming;
using CommandCenter.Web.Telemetry;
using CommandCenter.Web.Traces;
using CommandCenter.Web.Usage;
using CommandCenter.Web.Users;

var builder = WebApplication.CreateBuilder(args);

builder.AddCommandCenterServices();
builder.AddWebServices();
builder.AddTelemetry();

var app = builder.Build();

app.UseWebPipeline();

app.MapAuthApi();
app.MapAgentsApi();
app.MapUsersApi();
app.MapAnthropicKeyApi();
app.MapPricesApi();
app.MapModelsApi();
app.MapBudgetsApi();
app.MapIntegrationKeysApi();
app.MapConversationsApi();
app.MapFilesApi();
app.MapUsageApi();
app.MapTracesApi();
app.MapMessagesApi();
app.MapGatewayApi();
app.MapCommandCenterHealthChecks();
app.MapAccountEndpoints();
app.MapStaticAssets();
// Our Content-Security-Policy (Http/SecurityHeaders.cs) carries frame-ancestors already.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(server => server.ContentSecurityFrameAncestorsPolicy = null);

app.Run();

/// <summary>Visible to the E2E tests' WebApplicationFactory.</summary>
public partial class Program;
