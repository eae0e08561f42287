using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;
using CommandCenter.Services.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.AnthropicKeys;

public sealed class DataProtectionSettings
{
    public const string Section = "DataProtection";

    /// <summary>A PFX whose certificate encrypts the key ring at rest, so that a database dump alone reveals no user's key.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }
}

/// <summary>
/// The Data Protection key ring (which encrypts users' Anthropic keys) lives in PostgreSQL so that instances share it;
/// with a certificate configured, each key in the ring is itself encrypted with it. Without one the app still runs, and
/// says loudly at start that the ring is stored in the clear.
/// </summary>
internal static partial class KeyRingProtection
{
    public static void AddProtectedKeyRing(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(DataProtectionSettings.Section).Get<DataProtectionSettings>() ?? new();
        var dataProtection = services.AddDataProtection()
            .SetApplicationName("CommandCenter")
            .PersistKeysToDbContext<CommandCenterDbContext>();
        if (settings.CertificatePath is { Length: > 0 } path)
        {
            if (!File.Exists(path))
            {
                throw new ValidationException($"DataProtection:CertificatePath: no file at {path}.");
            }

            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword, X509KeyStorageFlags.EphemeralKeySet);
            // New keys are encrypted with it; keys it encrypted can be read with it even when it is no longer in a store.
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
            services.AddHostedService<KeysFromBeforeTheCertificateWarning>();
        }
        else
        {
            services.AddHostedService<UnprotectedKeyRingWarning>();
        }
    }

    private sealed partial class UnprotectedKeyRingWarning(ILogger<UnprotectedKeyRingWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken ct)
        {
            LogUnprotected(logger);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>Keys made before a certificate was configured stay in the clear: the ring cannot encrypt them afterwards.</summary>
    private sealed partial class KeysFromBeforeTheCertificateWarning(IDbContextFactory<CommandCenterDbContext> dbFactory, ILogger<KeysFromBeforeTheCertificateWarning> logger)
        : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var clear = await db.DataProtectionKeys.CountAsync(k => k.Xml != null && !k.Xml.Contains("encryptedSecret"), ct);
            if (clear > 0)
            {
                LogKeysInTheClear(logger, clear);
            }
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message =
        "{Count} keys of the Data Protection key ring were stored before the certificate was configured and are readable from a database dump, " +
        "as are the Anthropic keys they protect. Revoke them (new keys are encrypted) and have users enter their Anthropic keys again.")]
    private static partial void LogKeysInTheClear(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Critical, Message =
        "The Data Protection key ring is stored in PostgreSQL unencrypted: anyone with a database dump can decrypt every user's Anthropic key. " +
        "Set DataProtection__CertificatePath (and DataProtection__CertificatePassword) to a PFX to encrypt it.")]
    private static partial void LogUnprotected(ILogger logger);
}
