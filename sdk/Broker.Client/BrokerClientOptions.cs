using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;

namespace Broker.Client;

/// <summary>How a <see cref="BrokerClient"/> reaches the broker and keeps its cache fresh. Bindable from configuration section <c>Broker</c>.</summary>
public class BrokerClientOptions
{
    /// <summary>The broker's base address, e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The agent key (<c>brk_…</c>). Never log it.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Instead of <see cref="ApiKey"/>: a file holding the workload's JWT (a Kubernetes projected service-account token,
    /// a CI OIDC token), exchanged for a short-lived access token at <c>POST /v1/oauth/token</c> for
    /// <see cref="WorkloadProfile"/>. The file is read again at every login, and the client logs in again before the
    /// access token expires, while the current one still works.
    /// </summary>
    public string? WorkloadTokenPath { get; set; }

    /// <summary>The workload profile to log in as (<c>name</c>, or <c>tenant/name</c>); used with <see cref="WorkloadTokenPath"/>.</summary>
    public string? WorkloadProfile { get; set; }

    /// <summary>The interval of plain polling (when <see cref="LongPoll"/> is false). Default 30 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether to refresh through long-polling (<c>wait=</c>). Default true.</summary>
    public bool LongPoll { get; set; } = true;

    /// <summary>How long the broker may hold a long-poll (1 to 60 s). Default 55 s.</summary>
    public TimeSpan LongPollWait { get; set; } = TimeSpan.FromSeconds(55);

    /// <summary>Random spread of the poll interval, as a fraction of it (0 to 1). Default 0.1.</summary>
    public double Jitter { get; set; } = 0.1;

    /// <summary>The longest wait between retries, jitter included. Default 5 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long <see cref="BrokerClient.StartAsync"/> may take in all. Default 10 s.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one non-long-poll request may take. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a request that needs a human's approval (a mint or read the key's <c>approval</c> grant names) waits
    /// for the decision inside the call before it throws <see cref="ApprovalException"/> (<see cref="ApprovalOutcome.TimedOut"/>). Default 10 minutes.
    /// </summary>
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Directory of the encrypted disk cache; null turns it off.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Protects the disk cache; null uses <c>DataProtectionProvider.Create("Broker.Client")</c>.</summary>
    public IDataProtectionProvider? DataProtectionProvider { get; set; }

    /// <summary>The clock and timers. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the client logs (never values or keys); null logs nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The innermost HTTP handler (a proxy, a test server); null uses a pooled <see cref="SocketsHttpHandler"/>. The client disposes it.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    internal BrokerClientOptions Clone() => (BrokerClientOptions)MemberwiseClone();
}
