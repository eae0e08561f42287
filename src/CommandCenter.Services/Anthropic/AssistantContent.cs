using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CommandCenter.Services.Anthropic;

/// <summary>
/// The content blocks of an assistant turn, put back together from the stream as Anthropic would return them whole:
/// text with its citations, thinking with its signature, redacted thinking, server tool calls with their input and
/// their results. A turn Anthropic paused (<c>pause_turn</c>) is continued by sending exactly this back.
/// </summary>
internal sealed class AssistantContent
{
    private readonly JsonArray _blocks = [];
    private JsonObject? _open;
    private StringBuilder? _text;
    private string? _textProperty;

    public void Observe(AnthropicEvent e)
    {
        switch (e)
        {
            case BlockStarted started:
                Close();
                _open = JsonNode.Parse(started.Block.GetRawText())!.AsObject();
                _textProperty = started.Type switch
                {
                    "text" => "text",
                    "thinking" => "thinking",
                    _ => null,
                };
                _text = _textProperty is not null ? new StringBuilder(_open[_textProperty]?.GetValue<string>()) : null;
                _blocks.Add(_open);
                break;
            case TextDelta text when _textProperty == "text":
                _text!.Append(text.Text);
                break;
            case ThinkingDelta thinking when _textProperty == "thinking":
                _text!.Append(thinking.Text);
                break;
            case SignatureDelta signature when _open is not null:
                _open["signature"] = signature.Signature;
                break;
            case CitationDelta citation when _open is not null:
                if (_open["citations"] is not JsonArray citations)
                {
                    _open["citations"] = citations = [];
                }

                citations.Add(JsonNode.Parse(citation.Citation.GetRawText()));
                break;
            case ServerToolCalled call:
                // Its block opened with an empty input; the input streamed in pieces, told whole when the block closed.
                foreach (var block in _blocks)
                {
                    if (block is JsonObject tool && tool["id"]?.GetValue<string>() == call.Id)
                    {
                        // Input that was not a JSON object goes back as an empty one, which the API accepts.
                        tool["input"] = call.Input.ValueKind == JsonValueKind.Object ? JsonNode.Parse(call.Input.GetRawText()) : new JsonObject();
                    }
                }

                break;
        }
    }

    /// <summary>The turn so far, as the assistant message that continues it.</summary>
    public WireMessage ToMessage()
    {
        Close();
        return new WireMessage("assistant", []) { Blocks = (JsonArray)_blocks.DeepClone() };
    }

    private void Close()
    {
        if (_open is not null && _textProperty is not null)
        {
            _open[_textProperty] = _text!.ToString();
        }

        _open = null;
        _text = null;
        _textProperty = null;
    }
}
