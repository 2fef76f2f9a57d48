using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Broker.Audit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Broker.Bench.Host;

/// <summary>
/// The broker exactly as <c>src/Broker.Server</c> builds it (its own Program, the same arguments and environment)
/// with one difference: the audit log records nothing. It exists to measure what auditing costs
/// (<c>AUDIT=off</c> in <c>bench/scripts/routes-wrk.sh</c>, the "off" run of <c>bench/scripts/audit-wrk.sh</c>);
/// the server itself has no setting that turns its audit off. Never run this as a broker.
/// </summary>
public static class BenchHost
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("Broker.Bench.Host: AUDITING IS OFF. For measuring what the audit costs only; never a production broker.");

        // The same hook WebApplicationFactory uses: services registered after the server's own, before the host is built.
        using var hook = HostBuildingHook.Subscribe(services =>
        {
            services.RemoveAll<IAuditLog>();
            services.AddSingleton<IAuditLog, DisabledAuditLog>();
        });

        var entryPoint = typeof(Program).Assembly.EntryPoint
            ?? throw new InvalidOperationException("Broker.Server has no entry point.");
        try
        {
            return entryPoint.Invoke(null, [args]) is int code ? code : 0;
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
    }
}
