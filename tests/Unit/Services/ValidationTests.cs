using CommandCenter.Services.Agents;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Services.Streaming;
using CommandCenter.Services.Validation;

namespace CommandCenter.Unit.Services;

/// <summary>The rules of each request record, as services and forms apply them.</summary>
internal static class Rules
{
    public static IReadOnlyDictionary<string, string[]> Errors(object request) => InvalidInputException.ErrorsOf(request);

    /// <summary>An agent's rules, its model's price among them.</summary>
    public static IReadOnlyDictionary<string, string[]> AgentErrors(AgentInput input, IReadOnlyCollection<string> pricedModels) =>
        InvalidInputException.ErrorsOf(input, PricedModelAttribute.Among(pricedModels));

    /// <summary>Why the key is refused, or null.</summary>
    public static string? KeyError(string? key) => Errors(new AnthropicKeyInput(key)).Values.SelectMany(e => e).FirstOrDefault();
}

public sealed class SendMessageRequestValidationTests
{
    [Fact]
    public void WellFormedRequestHasNoErrors()
    {
        Rules.Errors(new SendMessageRequest("agent-1", null, "Hello")).ShouldBeEmpty();
        Rules.Errors(new SendMessageRequest("agent-1", "conversation-1", "Hello")).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void MissingAgentIdIsRejected(string? agentId)
    {
        var errors = Rules.Errors(new SendMessageRequest(agentId, null, "Hello"));

        errors.Keys.ShouldBe(["agentId"]);
        errors["agentId"].ShouldHaveSingleItem().ShouldNotBeNullOrWhiteSpace();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\t \r\n")]
    public void MissingOrBlankMessageIsRejected(string? message)
    {
        var errors = Rules.Errors(new SendMessageRequest("agent-1", null, message));

        errors.Keys.ShouldBe(["message"]);
        errors["message"].ShouldHaveSingleItem().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void BothMissingReportsBoth()
    {
        Rules.Errors(new SendMessageRequest(null, null, null)).Keys.ShouldBe(["agentId", "message"], ignoreOrder: true);
    }

    [Fact]
    public void MessageOfExactlyTheLimitIsAccepted()
    {
        SendMessageRequest.MaxMessageLength.ShouldBe(32_000);

        Rules.Errors(new SendMessageRequest("agent-1", null, new string('x', 32_000))).ShouldBeEmpty();
    }

    [Fact]
    public void MessageOneOverTheLimitIsRejectedNamingTheLimit()
    {
        var errors = Rules.Errors(new SendMessageRequest("agent-1", null, new string('x', 32_001)));

        errors.Keys.ShouldBe(["message"]);
        errors["message"].ShouldHaveSingleItem().ShouldContain("32000");
    }

    [Fact]
    public void TextPostgresCannotStoreIsRejected()
    {
        // Built here: theory data would not carry half a surrogate pair through serialization.
        foreach (var message in (string[])["nul\0inside", "half a pair " + '\ud83d', '\ude00' + " the other half", "a whole pair \ud83d\ude00 is fine"])
        {
            Rules.Errors(new SendMessageRequest("agent-1", null, message)).Keys.ShouldBe(message.StartsWith("a whole", StringComparison.Ordinal) ? [] : ["message"], message);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void BlankConversationIdIsRejected(string conversationId)
    {
        Rules.Errors(new SendMessageRequest("agent-1", conversationId, "Hello")).Keys.ShouldBe(["conversationId"]);
    }

    [Fact]
    public void NullConversationIdStartsANewConversation()
    {
        Rules.Errors(new SendMessageRequest("agent-1", null, "Hello")).ShouldNotContainKey("conversationId");
    }
}

public sealed class AgentInputValidationTests
{
    private static readonly string[] PricedModels = ["claude-haiku-4-5", "claude-opus-4-6", "claude-sonnet-4-5"];

    private static AgentInput Valid => new("Support bot", "Answers support questions.", "claude-sonnet-4-5", "You are helpful.", 1_024, "ACTIVE");

    [Fact]
    public void ValidInputHasNoErrors()
    {
        Rules.AgentErrors(Valid, PricedModels).ShouldBeEmpty();
    }

    [Fact]
    public void OptionalFieldsMayBeLeftOut()
    {
        Rules.AgentErrors(new AgentInput("Bot", null, "claude-haiku-4-5", null, null, null), PricedModels).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t ")]
    public void NameIsRequired(string? name)
    {
        Rules.AgentErrors(Valid with { Name = name }, PricedModels).Keys.ShouldBe(["name"]);
    }

    [Fact]
    public void NameLengthIsCountedAfterTrimming()
    {
        Rules.AgentErrors(Valid with { Name = "  " + new string('n', 100) + "  " }, PricedModels).ShouldBeEmpty();
        Rules.AgentErrors(Valid with { Name = new string('n', 101) }, PricedModels).Keys.ShouldBe(["name"]);
    }

    [Fact]
    public void DescriptionOverTheLimitIsRejected()
    {
        Rules.AgentErrors(Valid with { Description = new string('d', 1_000) }, PricedModels).ShouldBeEmpty();
        Rules.AgentErrors(Valid with { Description = new string('d', 1_001) }, PricedModels).Keys.ShouldBe(["description"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void ModelIsRequired(string? model)
    {
        Rules.AgentErrors(Valid with { Model = model }, PricedModels).Keys.ShouldBe(["model"]);
    }

    [Fact]
    public void UnknownModelIsRejectedListingThePricedModels()
    {
        var errors = Rules.AgentErrors(Valid with { Model = "gpt-4o" }, PricedModels);

        errors.Keys.ShouldBe(["model"]);
        var error = errors["model"].ShouldHaveSingleItem();
        error.ShouldContain("gpt-4o");
        foreach (var model in PricedModels)
        {
            error.ShouldContain(model);
        }
    }

    [Fact]
    public void ModelNamesAreCaseSensitiveButTrimmed()
    {
        Rules.AgentErrors(Valid with { Model = "  claude-opus-4-6 " }, PricedModels).ShouldBeEmpty();
        Rules.AgentErrors(Valid with { Model = "Claude-Opus-4-6" }, PricedModels).Keys.ShouldBe(["model"]);
    }

    [Fact]
    public void SystemPromptOverTheLimitIsRejected()
    {
        Rules.AgentErrors(Valid with { SystemPrompt = new string('s', 20_000) }, PricedModels).ShouldBeEmpty();
        Rules.AgentErrors(Valid with { SystemPrompt = new string('s', 20_001) }, PricedModels).Keys.ShouldBe(["systemPrompt"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(128_001)]
    [InlineData(int.MaxValue)]
    public void MaxTokensOutOfRangeIsRejected(int maxTokens)
    {
        Rules.AgentErrors(Valid with { MaxTokens = maxTokens }, PricedModels).Keys.ShouldBe(["maxTokens"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64_000)]
    public void MaxTokensAtTheBoundsIsAccepted(int maxTokens)
    {
        Rules.AgentErrors(Valid with { MaxTokens = maxTokens }, PricedModels).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("ACTIVE")]
    [InlineData("active")]
    [InlineData("Inactive")]
    [InlineData(" inactive ")]
    public void StatusIsCaseInsensitive(string status)
    {
        Rules.AgentErrors(Valid with { Status = status }, PricedModels).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("active", AgentStatus.Active)]
    [InlineData(" Inactive ", AgentStatus.Inactive)]
    public void StatusNormalizesToItsConstant(string status, string? expected)
    {
        AgentInput.NormalizeStatus(status).ShouldBe(expected);
        AgentInput.NormalizeStatus(null).ShouldBe(AgentStatus.Active);
    }

    [Theory]
    [InlineData("paused")]
    [InlineData("")]
    [InlineData("ACTIVE!")]
    public void UnknownStatusIsRejected(string status)
    {
        Rules.AgentErrors(Valid with { Status = status }, PricedModels).Keys.ShouldBe(["status"]);
    }

    [Fact]
    public void EveryFieldErrorIsKeyedByItsCamelCaseName()
    {
        var errors = Rules.AgentErrors(new AgentInput(" ", new string('d', 1_001), "unknown", new string('s', 20_001), 0, "paused"), PricedModels);

        errors.Keys.ShouldBe(["name", "description", "model", "systemPrompt", "maxTokens", "status"], ignoreOrder: true);
        errors.Values.ShouldAllBe(messages => messages.Length == 1 && !string.IsNullOrWhiteSpace(messages[0]));
    }
}

public sealed class ApiKeyValidationTests
{
    private const string NormalKey = "sk-ant-api03-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3_-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab1Cd2Ef3Gh4-AbCdEfAA";

    [Fact]
    public void NormalKeyIsAccepted()
    {
        Rules.KeyError(NormalKey).ShouldBeNull();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void EmptyKeyIsRejected(string? key)
    {
        Rules.KeyError(key).ShouldNotBeNull().ShouldContain("required");
    }

    [Theory]
    [InlineData("sk-ant- api03-abcdef")]
    [InlineData(" sk-ant-api03-abcdef")]
    [InlineData("sk-ant-api03-abcdef ")]
    [InlineData("sk-ant-api03-abcdef\n")]
    [InlineData("sk-ant-api03\tabcdef")]
    [InlineData("sk-ant-api03\u00a0abcdef")]
    [InlineData("sk-ant-api03\u2003abcdef")]
    [InlineData("        ")]
    public void WhitespaceAnywhereIsRejected(string key)
    {
        Rules.KeyError(key).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("sk-ant-api03\u0000abcdef")]
    [InlineData("sk-ant-api03\u0007abcdef")]
    [InlineData("sk-ant-api03\u007fabcdef")]
    [InlineData("sk-ant-api03\u009babcdef")]
    public void ControlCharactersAreRejected(string key)
    {
        Rules.KeyError(key).ShouldNotBeNull();
    }

    [Fact]
    public void KeyOverTheLimitIsRejected()
    {
        Rules.KeyError(new string('k', 256)).ShouldBeNull();
        Rules.KeyError(new string('k', 257)).ShouldNotBeNull().ShouldContain("256");
    }

    [Fact]
    public void TooShortKeyIsRejected()
    {
        Rules.KeyError("sk-ant-").ShouldNotBeNull();
        Rules.KeyError("sk-ant-x").ShouldBeNull();
    }

    [Theory]
    [InlineData("sk-ant-api03 secret-part")]
    [InlineData("sk-ant")]
    public void ErrorsNeverEchoTheKey(string key)
    {
        var error = Rules.KeyError(key).ShouldNotBeNull();

        error.ShouldNotContain(key);
        error.ShouldNotContain("sk-ant");
    }
}
