namespace Broker.Architecture.Tests;

/// <summary>The house rules over the repository's own project files.</summary>
public sealed class ProjectGraphTests
{
    private static readonly ProjectGraph Graph = ProjectGraph.Load(Repository.Root);

    [Fact]
    public void TheProjectFiles_BreakNoRuleOfTheHouse()
    {
        var violations = HouseRules.Check(Graph);
        Assert.True(violations.Count == 0, "The house is broken:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void EveryCapabilityAndStore_IsFound_SoTheRulesReallyRanOverThem()
    {
        var found = Graph.Projects.Where(p => p.Area == "src").Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(HouseRules.Roles.Keys, name => Assert.Contains(name, found));
        Assert.Contains(Graph.Projects, p => p.Area == "sdk");
    }

    [Fact]
    public void NoCapabilityOrStore_ReferencesTheAspNetCoreSharedFramework()
    {
        var offenders = Graph.Projects
            .Where(p => HouseRules.RoleOf(p) is HouseRole.Core or HouseRole.Capability or HouseRole.Store)
            .Where(p => Graph.Closure(p).Any(d => d.Project.FrameworkReferences.Contains("Microsoft.AspNetCore.App") || d.Project.Sdks.Contains("Microsoft.NET.Sdk.Web")))
            .Select(p => p.Name);
        Assert.Empty(offenders);
    }

    [Fact]
    public void OnlyTheDataProtectionProject_ReferencesTheDataProtectionPackage_AmongTheLibraries()
    {
        var users = Graph.Projects
            .Where(p => HouseRules.RoleOf(p) is HouseRole.Core or HouseRole.Capability or HouseRole.Store)
            .Where(p => p.PackageReferences.Any(r => r.StartsWith("Microsoft.AspNetCore.", StringComparison.OrdinalIgnoreCase)))
            .Select(p => p.Name);
        Assert.Equal([HouseRules.DataProtectionProject], users);
    }

    [Fact]
    public void TheHost_ReferencesDirectlyEveryCapabilityAndStoreItComposes()
    {
        var host = Graph[HouseRules.Host];
        var direct = host.ProjectReferences.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        var composed = HouseRules.Roles.Where(r => r.Value is HouseRole.Core or HouseRole.Capability).Select(r => r.Key)
            .Append("Broker.Storage.Sqlite").Append("Broker.Storage.Postgres");
        Assert.All(composed, name => Assert.Contains(name, direct));
    }
}
