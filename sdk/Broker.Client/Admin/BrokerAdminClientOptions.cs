namespace Broker.Client.Admin;

/// <summary>How a <see cref="BrokerAdminClient"/> reaches the broker.</summary>
public class BrokerAdminClientOptions
{
    /// <summary>The broker's base address, e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The admin, responder or agent key (<c>brk_…</c>). Never log it.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one request may take. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for request timeouts. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The innermost HTTP handler (a proxy, a test server); null uses a pooled <see cref="SocketsHttpHandler"/>. The client disposes it.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }
}
