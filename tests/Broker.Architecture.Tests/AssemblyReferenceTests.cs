using System.Reflection;

namespace Broker.Architecture.Tests;

/// <summary>
/// The house rules over the compiled libraries: what each assembly references, followed through every assembly it
/// reaches, so a dependency that arrives through a package (not written in any project file) is caught too.
/// </summary>
public sealed class AssemblyReferenceTests
{
    private static readonly IReadOnlySet<string> ServerAssemblies = ProjectGraph.Load(Repository.Root).Projects
        .Where(p => p.Area == "src").Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    public static TheoryData<string> Libraries() => [.. HouseRules.Roles.Where(r => r.Value != HouseRole.Host).Select(r => r.Key)];

    public static TheoryData<string> SdkPackages() => ["Broker.Client", "Broker.Client.Aws", "Broker.Client.AI"];

    [Theory]
    [MemberData(nameof(Libraries))]
    public void ALibrary_UsesNoHostNoStoreAboveItAndNoAspNetCore(string library)
    {
        Assert.NotNull(Repository.ReferencesOf(new AssemblyName(library)));
        var violations = HouseRules.CheckAssembly(library, HouseRules.Roles[library], ServerAssemblies, Repository.ReferencesOf);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Theory]
    [MemberData(nameof(SdkPackages))]
    public void AnSdkPackage_UsesNoServerAssembly(string package)
    {
        Assert.NotNull(Repository.ReferencesOf(new AssemblyName(package)));
        var violations = HouseRules.CheckAssembly(package, HouseRole.Sdk, ServerAssemblies, Repository.ReferencesOf);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void TheCoreSdk_TakesNoAIDependency()
    {
        // The AI integrations live in Broker.Client.AI so that an agent without them does not pull them in.
        string[] ai = ["Microsoft.Extensions.AI", "ModelContextProtocol", "OpenAI", "Anthropic", "System.ClientModel"];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<AssemblyName>([new AssemblyName("Broker.Client")]);
        while (queue.TryDequeue(out var name))
        {
            if (!seen.Add(name.Name!))
            {
                continue;
            }

            Assert.DoesNotContain(ai, prefix => name.Name!.StartsWith(prefix, StringComparison.Ordinal));
            foreach (var reference in Repository.ReferencesOf(name) ?? [])
            {
                queue.Enqueue(reference);
            }
        }

        Assert.Contains("Broker.Client", seen);
    }

    [Fact]
    public void TheRealDataProtectionReferences_InAnyOtherLibrary_AreCaught()
    {
        // Broker.Vault.DataProtection's compiled references, as if Broker.Vault had them: the package and what it
        // brings (found only by following the package's own assembly) break the rule there.
        var violations = HouseRules.CheckAssembly("Broker.Vault", HouseRole.Capability, ServerAssemblies,
            name => Repository.ReferencesOf(name.Name == "Broker.Vault" ? new AssemblyName(HouseRules.DataProtectionProject) : name));
        Assert.Contains(violations, v => v.Contains("Broker.Vault -> Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("-> Microsoft.AspNetCore.Cryptography.Internal", StringComparison.Ordinal));
    }

    [Fact]
    public void ATransitiveAspNetCoreReference_IsCaught_WithTheChainThatBringsIt()
    {
        var references = new Dictionary<string, string[]>
        {
            ["Broker.Keys"] = ["Broker.Core", "Some.Package"],
            ["Broker.Core"] = [],
            ["Some.Package"] = ["Microsoft.AspNetCore.Http.Abstractions"],
            ["Microsoft.AspNetCore.Http.Abstractions"] = [],
        };
        var violations = HouseRules.CheckAssembly("Broker.Keys", HouseRole.Capability, ServerAssemblies, Synthetic(references));
        var violation = Assert.Single(violations);
        Assert.Contains("Broker.Keys -> Some.Package -> Microsoft.AspNetCore.Http.Abstractions", violation, StringComparison.Ordinal);
    }

    [Fact]
    public void AHostStoreOrSdkAssembly_ReachedByALibrary_IsCaught()
    {
        var references = new Dictionary<string, string[]>
        {
            ["Broker.Credentials"] = ["Broker.Vault"],
            ["Broker.Vault"] = ["Broker.Storage.Sqlite", "Broker.Server", "Broker.Client"],
        };
        var violations = HouseRules.CheckAssembly("Broker.Credentials", HouseRole.Capability, ServerAssemblies, Synthetic(references));
        Assert.Contains(violations, v => v.Contains("uses a store", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("uses the host", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("uses the SDK", StringComparison.Ordinal));
    }

    [Fact]
    public void TheCoreUsingAnyBrokerAssembly_AndTheSdkUsingAServerOne_AreCaught()
    {
        var core = HouseRules.CheckAssembly("Broker.Core", HouseRole.Core, ServerAssemblies, Synthetic(new() { ["Broker.Core"] = ["Broker.Vault"] }));
        Assert.Contains(core, v => v.Contains("the core depends on nothing", StringComparison.Ordinal));
        var sdk = HouseRules.CheckAssembly("Broker.Client", HouseRole.Sdk, ServerAssemblies, Synthetic(new() { ["Broker.Client"] = ["Polly", "Broker.Core"] }));
        Assert.Contains(sdk, v => v.Contains("Broker.Client -> Broker.Core", StringComparison.Ordinal));
    }

    private static Func<AssemblyName, IReadOnlyList<AssemblyName>?> Synthetic(Dictionary<string, string[]> references) =>
        name => references.TryGetValue(name.Name!, out var names) ? names.Select(n => new AssemblyName(n)).ToList() : null;
}
