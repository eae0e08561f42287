using System.Text.Json;
using CommandCenter.Services.Validation;
using CommandCenter.Web.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CommandCenter.Unit.Web;

/// <summary>What an exception under /api becomes: a problem document with a status that says whose fault it was.</summary>
public sealed class ApiExceptionHandlerTests
{
    private static async Task<(bool Handled, int Status, JsonElement Body, HttpResponse Response)> HandleAsync(Exception exception, string path = "/api/anything")
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblems.AddErrorString).BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        var handler = new ApiExceptionHandler(services.GetRequiredService<Microsoft.AspNetCore.Http.IProblemDetailsService>(), NullLogger<ApiExceptionHandler>.Instance);

        var handled = await handler.TryHandleAsync(context, exception, TestContext.Current.CancellationToken);
        context.Response.Body.Position = 0;
        var body = context.Response.Body.Length > 0 ? JsonDocument.Parse(context.Response.Body).RootElement.Clone() : default;
        return (handled, context.Response.StatusCode, body, context.Response);
    }

    [Theory]
    [InlineData("22021")] // a NUL or bytes that are not UTF-8
    [InlineData("22001")] // longer than the column
    [InlineData("22P05")] // not representable in the database's encoding
    public async Task TextTheDatabaseRefusesIsA400(string sqlState)
    {
        var (handled, status, body, _) = await HandleAsync(new PostgresException("refused", "ERROR", "ERROR", sqlState));

        handled.ShouldBeTrue();
        status.ShouldBe(400);
        body.GetProperty("error").GetString()!.ShouldContain("cannot be stored");
    }

    [Fact]
    public async Task ADatabaseOutageIs503WithRetryAfter()
    {
        var (handled, status, body, response) = await HandleAsync(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111)));

        handled.ShouldBeTrue();
        status.ShouldBe(503);
        response.Headers.RetryAfter.ToString().ShouldBe("5");
        body.GetProperty("error").GetString().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task RefusedInputIsA400PerField()
    {
        var (_, status, body, _) = await HandleAsync(InvalidInputException.For("title", "The title must be 1 to 200 characters."));

        status.ShouldBe(400);
        body.GetProperty("errors").GetProperty("title")[0].GetString().ShouldBe("The title must be 1 to 200 characters.");
    }

    [Fact]
    public async Task OtherFailuresAndPagesAreLeftToTheFramework()
    {
        (await HandleAsync(new InvalidOperationException("a bug"))).Handled.ShouldBeFalse();
        (await HandleAsync(InvalidInputException.For("x", "y"), path: "/settings")).Handled.ShouldBeFalse();
    }
}
