using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Anthropic;

/// <summary>
/// A thin typed client over the documented Messages wire protocol; one request per call, no retries.
/// Held by a singleton, so its handler never rotates: the pooled connections' lifetime (see registration) keeps DNS fresh.
/// </summary>
public sealed class AnthropicClient(HttpClient http, IOptions<AnthropicOptions> options, TimeProvider clock)
{
    internal async Task<AnthropicStream> OpenStreamAsync(string apiKey, WireRequest request, CancellationToken ct)
    {
        using var message = Request(HttpMethod.Post, "v1/messages", apiKey, request.Beta, JsonContent.Create(request, WireJsonContext.Default.WireRequest));
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));

        using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headersTimeout.CancelAfter(options.Value.ResponseHeadersTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, headersTimeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AnthropicApiException(504, "timeout", "Anthropic did not answer in time.", null);
        }
        catch (HttpRequestException e)
        {
            throw new AnthropicApiException(502, "connection_error", $"Could not reach Anthropic: {e.HttpRequestError}.", null);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ToExceptionAsync(response, ct);
            }
        }

        try
        {
            return new AnthropicStream(response, await response.Content.ReadAsStreamAsync(ct), options.Value.StreamIdleTimeout, clock);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var requestId = RequestIdOf(response);
            response.Dispose();
            throw new AnthropicApiException(502, "connection_error", "The connection to Anthropic failed as the reply began.", requestId);
        }
    }

    /// <summary>The tokens of a prompt, as Anthropic counts them (<c>POST /v1/messages/count_tokens</c>, free of charge).</summary>
    /// <exception cref="AnthropicApiException">Anthropic refused or could not be reached.</exception>
    internal Task<int> CountTokensAsync(string apiKey, WireCountRequest request, CancellationToken ct) =>
        CountTokensAsync(apiKey, JsonContent.Create(request, WireJsonContext.Default.WireCountRequest), ct, request.Beta);

    /// <summary>The tokens of a prompt given as Anthropic's own JSON (a gateway request's, with whatever blocks it holds).</summary>
    /// <exception cref="AnthropicApiException">Anthropic refused or could not be reached.</exception>
    internal Task<int> CountTokensAsync(string apiKey, System.Text.Json.Nodes.JsonObject request, CancellationToken ct) =>
        CountTokensAsync(apiKey, JsonContent.Create(request, WireJsonContext.Default.JsonObject), ct);

    private async Task<int> CountTokensAsync(string apiKey, HttpContent body, CancellationToken ct, string? beta = null)
    {
        using var message = Request(HttpMethod.Post, "v1/messages/count_tokens", apiKey, beta, body);
        return (await SendForAsync(message, WireJsonContext.Default.WireTokenCount, "token count", ct)).InputTokens
            ?? throw new AnthropicApiException(502, "invalid_response", "Anthropic's token count could not be read.", null);
    }

    /// <summary>Uploads a file to the Files API (<c>POST /v1/files</c>, beta <paramref name="beta"/>); returns its <c>file_id</c>.</summary>
    /// <exception cref="AnthropicApiException">Anthropic refused the upload or could not be reached.</exception>
    internal async Task<string> UploadFileAsync(string apiKey, string name, string mediaType, byte[] content, string beta, CancellationToken ct)
    {
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var message = Request(HttpMethod.Post, "v1/files", apiKey, beta, new MultipartFormDataContent { { file, "file", name } });
        return (await SendForAsync(message, WireJsonContext.Default.WireFile, "answer to a file upload", ct)).Id
            ?? throw new AnthropicApiException(502, "invalid_response", "Anthropic's answer to a file upload could not be read.", null);
    }

    private HttpRequestMessage Request(HttpMethod method, string path, string apiKey, string? beta, HttpContent? body = null)
    {
        var message = new HttpRequestMessage(method, new Uri(options.Value.BaseUrl, path)) { Content = body };
        message.Headers.Add("x-api-key", apiKey);
        message.Headers.Add("anthropic-version", options.Value.Version);
        if (!string.IsNullOrEmpty(beta))
        {
            message.Headers.Add("anthropic-beta", beta);
        }

        return message;
    }

    /// <summary>Sends a short call and reads its JSON answer.</summary>
    /// <exception cref="AnthropicApiException">Anthropic refused, could not be reached, or answered what cannot be read (<paramref name="what"/>).</exception>
    private async Task<T> SendForAsync<T>(HttpRequestMessage message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> answer, string what, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, ct);
        }
        catch (HttpRequestException e)
        {
            throw new AnthropicApiException(502, "connection_error", $"Could not reach Anthropic: {e.HttpRequestError}.", null);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ToExceptionAsync(response, ct);
            }

            try
            {
                return await response.Content.ReadFromJsonAsync(answer, ct) ?? throw new JsonException("The answer is null.");
            }
            catch (JsonException)
            {
                throw new AnthropicApiException(502, "invalid_response", $"Anthropic's {what} could not be read.", RequestIdOf(response));
            }
        }
    }

    /// <summary>
    /// A call as a client of the gateway wrote it: its body (already resolved to a model) and its <c>anthropic-version</c>
    /// and <c>anthropic-beta</c>, sent with the user's key; the response is returned at its headers, whatever its status.
    /// </summary>
    /// <exception cref="AnthropicApiException">Anthropic could not be reached, or did not answer in time.</exception>
    internal async Task<HttpResponseMessage> SendAsIsAsync(string apiKey, string path, System.Text.Json.Nodes.JsonObject body, string? version, string? beta, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Value.BaseUrl, path))
        {
            Content = JsonContent.Create(body, WireJsonContext.Default.JsonObject),
        };
        message.Headers.Add("x-api-key", apiKey);
        message.Headers.Add("anthropic-version", version ?? options.Value.Version);
        if (!string.IsNullOrEmpty(beta))
        {
            message.Headers.Add("anthropic-beta", beta);
        }

        using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headersTimeout.CancelAfter(options.Value.ResponseHeadersTimeout);
        try
        {
            return await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, headersTimeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AnthropicApiException(504, "timeout", "Anthropic did not answer in time.", null);
        }
        catch (HttpRequestException e)
        {
            throw new AnthropicApiException(502, "connection_error", $"Could not reach Anthropic: {e.HttpRequestError}.", null);
        }
    }

    /// <summary>Reads a stream's events as they arrive, with the idle timeout every reply has.</summary>
    internal AnthropicStream Stream(HttpResponseMessage response, Stream body) => new(response, body, options.Value.StreamIdleTimeout, clock);

    /// <summary>Every model Anthropic lists, page by page (<c>GET /v1/models</c>, active, deprecated and retired).</summary>
    /// <exception cref="AnthropicApiException">Anthropic refused or could not be reached.</exception>
    internal async Task<IReadOnlyList<WireModelInfo>> ListModelsAsync(string apiKey, CancellationToken ct)
    {
        List<WireModelInfo> models = [];
        string? after = null;
        // Bounded, in case a page's cursor never moves on.
        for (var page = 0; page < 100; page++)
        {
            // Array parameters go as brackets, as the official SDKs send them; retired models only when asked for.
            var query = "v1/models?limit=1000&lifecycle[]=active&lifecycle[]=deprecated&lifecycle[]=retired" + (after is null ? "" : "&after_id=" + Uri.EscapeDataString(after));
            using var message = Request(HttpMethod.Get, query, apiKey, null);
            var list = await SendForAsync(message, WireJsonContext.Default.WireModelList, "model list", ct);
            models.AddRange(list.Data ?? []);
            if (list is not { HasMore: true, LastId: { } last } || last == after)
            {
                return models;
            }

            after = last;
        }

        return models;
    }

    internal static string? RequestIdOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("request-id", out var ids) ? ids.FirstOrDefault() : null;

    private static async Task<AnthropicApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var requestId = RequestIdOf(response);
        WireError? error = null;
        try
        {
            error = (await response.Content.ReadFromJsonAsync(WireJsonContext.Default.WireErrorBody, ct))?.Error;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A proxy's HTML error page or a dropped connection: the status code is all we have.
        }

        return new AnthropicApiException(
            (int)response.StatusCode,
            error?.Type ?? "http_error",
            error?.Message ?? response.ReasonPhrase ?? "Request failed.",
            requestId)
        {
            RetryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - DateTimeOffset.UtcNow is { Ticks: > 0 } wait ? wait : TimeSpan.Zero,
                _ => null,
            },
        };
    }
}
