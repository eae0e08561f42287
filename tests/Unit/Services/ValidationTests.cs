using CommandCenter.Services.Agents;
using CommandCenter.Services.ApiKeys;
using CommandCenter.Services.Streaming;

namespace CommandCenter.Unit.Services;

public sealed class SendMessageRequestValidationTests
{
    [Fact]
    public void WellFormedRequestHasNoErrors()
    {
        new SendMessageRequest("agent-1", null, "Hello").Validate().ShouldBeEmpty();
        new SendMessageRequest("agent-1", "conversation-1", "Hello").Validate().ShouldBeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void MissingAgentIdIsRejected(string? agentId)
    {
        var errors = new SendMessageRequest(agentId, null, "Hello").Validate();

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
        var errors = new SendMessageRequest("agent-1", null, message).Validate();

        errors.Keys.ShouldBe(["message"]);
        errors["message"].ShouldHaveSingleItem().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void BothMissingReportsBoth()
    {
        new SendMessageRequest(null, null, null).Validate().Keys.ShouldBe(["agentId", "message"], ignoreOrder: true);
    }

    [Fact]
    public void MessageOfExactlyTheLimitIsAccepted()
    {
        SendMessageRequest.MaxMessageLength.ShouldBe(32_000);

        new SendMessageRequest("agent-1", null, new string('x', 32_000)).Validate().ShouldBeEmpty();
    }

    [Fact]
    public void MessageOneOverTheLimitIsRejectedWithItsLength()
    {
        var errors = new SendMessageRequest("agent-1", null, new string('x', 32_001)).Validate();

        errors.Keys.ShouldBe(["message"]);
        var error = errors["message"].ShouldHaveSingleItem();
        error.ShouldContain("32001");
        error.ShouldContain("32000");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void BlankConversationIdIsRejected(string conversationId)
    {
        new SendMessageRequest("agent-1", conversationId, "Hello").Validate().Keys.ShouldBe(["conversationId"]);
    }

    [Fact]
    public void NullConversationIdStartsANewConversation()
    {
        new SendMessageRequest("agent-1", null, "Hello").Validate().ShouldNotContainKey("conversationId");
    }
}

public sealed class AgentInputValidationTests
{
    private static readonly string[] PricedModels = ["claude-haiku-4-5", "claude-opus-4-6", "claude-sonnet-4-5"];

    private static AgentInput Valid => new("Support bot", "Answers support questions.", "claude-sonnet-4-5", "You are helpful.", 1_024, "ACTIVE");

    [Fact]
    public void ValidInputHasNoErrors()
    {
        Valid.Validate(PricedModels).ShouldBeEmpty();
    }

    [Fact]
    public void OptionalFieldsMayBeLeftOut()
    {
        new AgentInput("Bot", null, "claude-haiku-4-5", null, null, null).Validate(PricedModels).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t ")]
    public void NameIsRequired(string? name)
    {
        (Valid with { Name = name }).Validate(PricedModels).Keys.ShouldBe(["name"]);
    }

    [Fact]
    public void NameLengthIsCountedAfterTrimming()
    {
        (Valid with { Name = "  " + new string('n', 100) + "  " }).Validate(PricedModels).ShouldBeEmpty();
        (Valid with { Name = new string('n', 101) }).Validate(PricedModels).Keys.ShouldBe(["name"]);
    }

    [Fact]
    public void DescriptionOverTheLimitIsRejected()
    {
        (Valid with { Description = new string('d', 1_000) }).Validate(PricedModels).ShouldBeEmpty();
        (Valid with { Description = new string('d', 1_001) }).Validate(PricedModels).Keys.ShouldBe(["description"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void ModelIsRequired(string? model)
    {
        (Valid with { Model = model }).Validate(PricedModels).Keys.ShouldBe(["model"]);
    }

    [Fact]
    public void UnknownModelIsRejectedListingThePricedModels()
    {
        var errors = (Valid with { Model = "gpt-4o" }).Validate(PricedModels);

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
        (Valid with { Model = "  claude-opus-4-6 " }).Validate(PricedModels).ShouldBeEmpty();
        (Valid with { Model = "Claude-Opus-4-6" }).Validate(PricedModels).Keys.ShouldBe(["model"]);
    }

    [Fact]
    public void SystemPromptOverTheLimitIsRejected()
    {
        (Valid with { SystemPrompt = new string('s', 20_000) }).Validate(PricedModels).ShouldBeEmpty();
        (Valid with { SystemPrompt = new string('s', 20_001) }).Validate(PricedModels).Keys.ShouldBe(["systemPrompt"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(64_001)]
    [InlineData(int.MaxValue)]
    public void MaxTokensOutOfRangeIsRejected(int maxTokens)
    {
        (Valid with { MaxTokens = maxTokens }).Validate(PricedModels).Keys.ShouldBe(["maxTokens"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64_000)]
    public void MaxTokensAtTheBoundsIsAccepted(int maxTokens)
    {
        (Valid with { MaxTokens = maxTokens }).Validate(PricedModels).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("ACTIVE")]
    [InlineData("active")]
    [InlineData("Inactive")]
    [InlineData(" inactive ")]
    public void StatusIsCaseInsensitive(string status)
    {
        (Valid with { Status = status }).Validate(PricedModels).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("active", AgentStatus.Active)]
    [InlineData(" Inactive ", AgentStatus.Inactive)]
    [InlineData("paused", null)]
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
        (Valid with { Status = status }).Validate(PricedModels).Keys.ShouldBe(["status"]);
    }

    [Fact]
    public void EveryFieldErrorIsKeyedByItsCamelCaseName()
    {
        var errors = new AgentInput(" ", new string('d', 1_001), "unknown", new string('s', 20_001), 0, "paused").Validate(PricedModels);

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
        ApiKeyVault.Validate(NormalKey).ShouldBeNull();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void EmptyKeyIsRejected(string? key)
    {
        ApiKeyVault.Validate(key).ShouldNotBeNull().ShouldContain("required");
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
        ApiKeyVault.Validate(key).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("sk-ant-api03\u0000abcdef")]
    [InlineData("sk-ant-api03\u0007abcdef")]
    [InlineData("sk-ant-api03\u007fabcdef")]
    [InlineData("sk-ant-api03\u009babcdef")]
    public void ControlCharactersAreRejected(string key)
    {
        ApiKeyVault.Validate(key).ShouldNotBeNull();
    }

    [Fact]
    public void KeyOverTheLimitIsRejected()
    {
        ApiKeyVault.Validate(new string('k', 256)).ShouldBeNull();
        ApiKeyVault.Validate(new string('k', 257)).ShouldNotBeNull().ShouldContain("256");
    }

    [Fact]
    public void TooShortKeyIsRejected()
    {
        ApiKeyVault.Validate("sk-ant-").ShouldNotBeNull();
        ApiKeyVault.Validate("sk-ant-x").ShouldBeNull();
    }

    [Theory]
    [InlineData("sk-ant-api03 secret-part")]
    [InlineData("sk-ant")]
    public void ErrorsNeverEchoTheKey(string key)
    {
        var error = ApiKeyVault.Validate(key).ShouldNotBeNull();

        error.ShouldNotContain(key);
        error.ShouldNotContain("sk-ant");
    }
}
