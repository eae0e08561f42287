using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using CommandCenter.E2E.Infrastructure;
using Microsoft.AspNetCore.DataProtection;

namespace CommandCenter.E2E.Api;

/// <summary>The app with a Data Protection certificate, as run.sh and production configure it.</summary>
public sealed class CertificateApp : CommandCenterApp
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("cc-e2e-dp-").FullName;

    public const string Password = "pfx-Pass-123";

    public static string CertificatePath { get; } = CreateCertificate();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("DataProtection:CertificatePath", CertificatePath),
        new("DataProtection:CertificatePassword", Password),
    ];

    private static string CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Command Center E2E Data Protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(Folder, "dataprotection.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, Password));
        return path;
    }
}

/// <summary>What a database dump gives away: nothing, once the key ring is encrypted with the certificate.</summary>
public sealed class KeyRingTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    [Fact]
    public async Task ADumpWithTheKeyRingButWithoutTheCertificateDecryptsNoStoredKey()
    {
        var apiKey = CommandCenterApp.NewApiKey();
        using var user = await app.NewUserAsync(apiKey: apiKey);

        // The dump: the key ring's rows and the user's encrypted key, nothing else.
        var ring = await app.Database.QueryAsync("SELECT \"Xml\" FROM \"DataProtectionKeys\"");
        var stored = (string)(await app.Database.SingleAsync("SELECT \"protectedKey\" FROM anthropic_api_keys WHERE \"userId\" = $1", user.Id))["protectedKey"]!;
        ring.ShouldNotBeEmpty();
        var folder = Directory.CreateTempSubdirectory("cc-e2e-dump-");
        foreach (var (row, i) in ring.Select((r, i) => (r, i)))
        {
            var xml = (string)row["Xml"]!;
            XDocument.Parse(xml).Descendants().ShouldContain(e => e.Name.LocalName == "encryptedSecret", "every key in the ring is encrypted");
            xml.ShouldNotContain("<masterKey");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, $"key-{i}.xml"), xml, TestContext.Current.CancellationToken);
        }

        var withoutCertificate = DataProtectionProvider.Create(folder, b => b.SetApplicationName("CommandCenter")).CreateProtector("CommandCenter.AnthropicKey.v1");
        Should.Throw<CryptographicException>(() => withoutCertificate.Unprotect(stored));

        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(CertificateApp.CertificatePath, CertificateApp.Password);
        var withCertificate = DataProtectionProvider.Create(folder, b => b.SetApplicationName("CommandCenter").UnprotectKeysWithAnyCertificate(certificate))
            .CreateProtector("CommandCenter.AnthropicKey.v1");
        withCertificate.Unprotect(stored).ShouldBe(apiKey, "with the certificate the same dump does decrypt: the refusal above is the certificate's doing");
        folder.Delete(recursive: true);
    }

    [Fact]
    public void WithACertificateThereIsNoWarningAboutAnUnencryptedKeyRing()
    {
        app.Logs.Lines.ShouldNotContain(line => line.Contains("key ring is stored in PostgreSQL unencrypted") || line.Contains("No XML encryptor configured"));
    }
}

public sealed class UnencryptedKeyRingTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    [Fact]
    public void WithoutACertificateTheAppStartsAndSaysLoudlyThatTheKeyRingIsInTheClear()
    {
        app.Logs.Lines.ShouldContain(line => line.StartsWith("Critical") && line.Contains("key ring is stored in PostgreSQL unencrypted"));
    }
}
