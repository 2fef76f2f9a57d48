using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Client.Internal;

/// <summary>The account's default Data Protection key ring for application "Broker.Client" (what <c>DataProtectionProvider.Create("Broker.Client")</c> gives).</summary>
internal static class DefaultDataProtection
{
    private static readonly Lazy<IDataProtectionProvider> Provider = new(() =>
        new ServiceCollection()
            .AddDataProtection()
            .SetApplicationName("Broker.Client")
            .Services
            .BuildServiceProvider()
            .GetRequiredService<IDataProtectionProvider>());

    public static IDataProtectionProvider Instance => Provider.Value;
}
