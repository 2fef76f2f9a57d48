using System.Reflection;

namespace Broker.Architecture.Tests;

/// <summary>
/// The rules of the house (HOUSE.md): dependencies point one way, host → capabilities → core; the libraries never
/// see ASP.NET Core (the Data Protection key-encryption key in its own project aside); stores are chosen by the host
/// only; the SDK shares the wire contract, not assemblies. Each check returns the broken rules, one line each, with
/// the chain of references that breaks it; an empty list means the house stands.
/// </summary>
public static class HouseRules
{
    public const string Host = "Broker.Server";
    public const string DataProtectionProject = "Broker.Vault.DataProtection";
    public const string DataProtectionPackage = "Microsoft.AspNetCore.DataProtection";

    /// <summary>Every project under <c>src/</c> has a place here; a new one must be given its place.</summary>
    public static readonly IReadOnlyDictionary<string, HouseRole> Roles = new Dictionary<string, HouseRole>(StringComparer.Ordinal)
    {
        [Host] = HouseRole.Host,
        ["Broker.Core"] = HouseRole.Core,
        ["Broker.Vault"] = HouseRole.Capability,
        [DataProtectionProject] = HouseRole.Capability,
        ["Broker.Vault.AzureKeyVault"] = HouseRole.Capability,
        ["Broker.Keys"] = HouseRole.Capability,
        ["Broker.Credentials"] = HouseRole.Capability,
        ["Broker.Minting"] = HouseRole.Capability,
        ["Broker.Audit"] = HouseRole.Capability,
        ["Broker.Identity"] = HouseRole.Capability,
        ["Broker.Approvals"] = HouseRole.Capability,
        ["Broker.Storage"] = HouseRole.Store,
        ["Broker.Storage.Sqlite"] = HouseRole.Store,
        ["Broker.Storage.Postgres"] = HouseRole.Store,
    };

    /// <summary>The assemblies the Data Protection package brings: allowed to <see cref="DataProtectionProject"/> alone.</summary>
    public static readonly IReadOnlySet<string> DataProtectionAssemblies = new HashSet<string>(StringComparer.Ordinal)
    {
        "Microsoft.AspNetCore.DataProtection",
        "Microsoft.AspNetCore.DataProtection.Abstractions",
        "Microsoft.AspNetCore.Cryptography.Internal",
    };

    public static HouseRole? RoleOf(ProjectNode project) =>
        project.Area == "sdk" ? HouseRole.Sdk : Roles.TryGetValue(project.Name, out var role) && project.Area == "src" ? role : null;

    /// <summary>The rules over project files: every reference, framework reference and package, followed through project references.</summary>
    public static IReadOnlyList<string> Check(ProjectGraph graph)
    {
        var violations = new List<string>();
        foreach (var project in graph.Projects)
        {
            if (RoleOf(project) is not { } role)
            {
                if (project.Area == "src")
                {
                    violations.Add($"{project.Path} has no place in the house: give it a role in HouseRules.Roles.");
                }

                continue;
            }

            foreach (var (dependency, via) in graph.Closure(project))
            {
                var chain = string.Join(" -> ", via);
                var dependencyRole = RoleOf(dependency);
                if (project.Area == "src" && dependency.Area == "sdk")
                {
                    violations.Add($"{project.Name} references the SDK ({chain}): the server shares the wire contract with the SDK, not assemblies.");
                }

                switch (role)
                {
                    case HouseRole.Sdk when dependency.Area == "src":
                        violations.Add($"{project.Name} (sdk) references a server project ({chain}): the SDK shares the wire contract, not assemblies.");
                        break;
                    case HouseRole.Core when dependency != project:
                        violations.Add($"{project.Name} references another Broker project ({chain}): the core is the vocabulary and depends on nothing.");
                        break;
                }

                if (role is HouseRole.Core or HouseRole.Capability or HouseRole.Store)
                {
                    if (dependencyRole == HouseRole.Host)
                    {
                        violations.Add($"{project.Name} references the host ({chain}): dependencies point host -> capabilities -> core.");
                    }

                    if (role is not HouseRole.Store && dependencyRole == HouseRole.Store)
                    {
                        violations.Add($"{project.Name} references a store ({chain}): the host alone chooses the store.");
                    }

                    violations.AddRange(AspNetCoreIn(project, dependency, chain));
                }
            }
        }

        return violations;
    }

    /// <summary>
    /// The rules over a compiled library: <paramref name="assembly"/> and every assembly it reaches through its
    /// references (<paramref name="referencesOf"/> gives an assembly's references, or null where the walk stops:
    /// the runtime's own assemblies, or one that cannot be found).
    /// </summary>
    public static IReadOnlyList<string> CheckAssembly(string assembly, HouseRole role, IReadOnlySet<string> serverAssemblies, Func<AssemblyName, IReadOnlyList<AssemblyName>?> referencesOf)
    {
        var violations = new List<string>();
        foreach (var (name, via) in Walk(new AssemblyName(assembly), referencesOf))
        {
            if (name == assembly)
            {
                continue;
            }

            var chain = string.Join(" -> ", via);
            if (role == HouseRole.Sdk)
            {
                if (serverAssemblies.Contains(name))
                {
                    violations.Add($"{assembly} (sdk) uses a server assembly ({chain}): the SDK shares the wire contract, not assemblies.");
                }

                continue;
            }

            if (name.StartsWith("Broker.Client", StringComparison.Ordinal))
            {
                violations.Add($"{assembly} uses the SDK ({chain}): the server shares the wire contract with the SDK, not assemblies.");
            }

            if (role is HouseRole.Host)
            {
                continue;
            }

            if (name == Host)
            {
                violations.Add($"{assembly} uses the host ({chain}): dependencies point host -> capabilities -> core.");
            }

            if (role is HouseRole.Core && name.StartsWith("Broker.", StringComparison.Ordinal))
            {
                violations.Add($"{assembly} uses another Broker assembly ({chain}): the core depends on nothing.");
            }

            if (role is not HouseRole.Store && name.StartsWith("Broker.Storage", StringComparison.Ordinal))
            {
                violations.Add($"{assembly} uses a store ({chain}): the host alone chooses the store.");
            }

            if (name.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) && !(assembly == DataProtectionProject && DataProtectionAssemblies.Contains(name)))
            {
                violations.Add($"{assembly} uses ASP.NET Core ({chain}): capabilities and stores are libraries without it (only {DataProtectionProject} may use {DataProtectionPackage}).");
            }
        }

        return violations;
    }

    private static IEnumerable<string> AspNetCoreIn(ProjectNode project, ProjectNode dependency, string chain)
    {
        foreach (var sdk in dependency.Sdks.Where(s => s != "Microsoft.NET.Sdk"))
        {
            yield return $"{project.Name} depends on the SDK {sdk} ({chain}): capabilities and stores are plain libraries (Microsoft.NET.Sdk).";
        }

        foreach (var framework in dependency.FrameworkReferences.Where(f => f != "Microsoft.NETCore.App"))
        {
            yield return $"{project.Name} depends on the shared framework {framework} ({chain}): capabilities and stores never reference ASP.NET Core.";
        }

        foreach (var package in dependency.PackageReferences.Where(p => p.StartsWith("Microsoft.AspNetCore.", StringComparison.OrdinalIgnoreCase)))
        {
            var allowed = project.Name == DataProtectionProject && dependency.Name == DataProtectionProject && string.Equals(package, DataProtectionPackage, StringComparison.OrdinalIgnoreCase);
            if (!allowed)
            {
                yield return $"{project.Name} depends on the package {package} ({chain}): only {DataProtectionProject} may reference ASP.NET Core, and only {DataProtectionPackage}.";
            }
        }
    }

    private static IEnumerable<(string Name, IReadOnlyList<string> Via)> Walk(AssemblyName root, Func<AssemblyName, IReadOnlyList<AssemblyName>?> referencesOf)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.Name! };
        var queue = new Queue<(AssemblyName, IReadOnlyList<string>)>();
        queue.Enqueue((root, [root.Name!]));
        while (queue.Count > 0)
        {
            var (name, via) = queue.Dequeue();
            yield return (name.Name!, via);
            foreach (var reference in referencesOf(name) ?? [])
            {
                if (reference.Name is { } n && seen.Add(n))
                {
                    queue.Enqueue((reference, [.. via, n]));
                }
            }
        }
    }
}
