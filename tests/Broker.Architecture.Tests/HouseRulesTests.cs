namespace Broker.Architecture.Tests;

/// <summary>The project-file rules on small graphs built in memory: a sound house passes, each broken rule fires.</summary>
public sealed class HouseRulesTests
{
    [Fact]
    public void ASoundHouse_BreaksNoRule()
    {
        Assert.Empty(HouseRules.Check(SoundHouse()));
    }

    [Fact]
    public void ACapabilityReferencingTheHost_IsCaught()
    {
        var violations = HouseRules.Check(SoundHouse(With("src/Broker.Keys/Broker.Keys.csproj", projects: ["src/Broker.Core/Broker.Core.csproj", "src/Broker.Server/Broker.Server.csproj"])));
        Assert.Contains(violations, v => v.StartsWith("Broker.Keys references the host (Broker.Keys -> Broker.Server)", StringComparison.Ordinal));
    }

    [Fact]
    public void ACapabilityReferencingAStore_IsCaught()
    {
        var violations = HouseRules.Check(SoundHouse(With("src/Broker.Credentials/Broker.Credentials.csproj", projects: ["src/Broker.Vault/Broker.Vault.csproj", "src/Broker.Storage.Sqlite/Broker.Storage.Sqlite.csproj"])));
        Assert.Contains(violations, v => v.StartsWith("Broker.Credentials references a store (Broker.Credentials -> Broker.Storage.Sqlite)", StringComparison.Ordinal));
    }

    [Fact]
    public void TheSharedFramework_ReachedThroughAnotherProject_IsCaughtForEveryProjectAbove()
    {
        // Broker.Vault as it was: the whole ASP.NET Core shared framework for Data Protection.
        var violations = HouseRules.Check(SoundHouse(With("src/Broker.Vault/Broker.Vault.csproj", projects: ["src/Broker.Core/Broker.Core.csproj"], frameworks: ["Microsoft.AspNetCore.App"])));
        Assert.Contains(violations, v => v.StartsWith("Broker.Vault depends on the shared framework Microsoft.AspNetCore.App (Broker.Vault)", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Broker.Credentials depends on the shared framework Microsoft.AspNetCore.App (Broker.Credentials -> Broker.Vault)", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Broker.Storage.Sqlite depends on the shared framework Microsoft.AspNetCore.App (Broker.Storage.Sqlite -> ", StringComparison.Ordinal));
        Assert.DoesNotContain(violations, v => v.StartsWith("Broker.Server ", StringComparison.Ordinal));
    }

    [Fact]
    public void AnAspNetCorePackageOrTheWebSdk_InALibrary_IsCaught()
    {
        var violations = HouseRules.Check(SoundHouse(
            With("src/Broker.Audit/Broker.Audit.csproj", projects: ["src/Broker.Core/Broker.Core.csproj"], packages: ["Microsoft.AspNetCore.Http.Abstractions"]),
            With("src/Broker.Minting/Broker.Minting.csproj", projects: ["src/Broker.Vault/Broker.Vault.csproj"], sdk: "Microsoft.NET.Sdk.Web")));
        Assert.Contains(violations, v => v.StartsWith("Broker.Audit depends on the package Microsoft.AspNetCore.Http.Abstractions", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Broker.Minting depends on the SDK Microsoft.NET.Sdk.Web", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDataProtectionPackage_IsAllowedInItsOwnProjectOnly()
    {
        var elsewhere = HouseRules.Check(SoundHouse(With("src/Broker.Vault/Broker.Vault.csproj", projects: ["src/Broker.Core/Broker.Core.csproj"], packages: ["Microsoft.AspNetCore.DataProtection"])));
        Assert.Contains(elsewhere, v => v.StartsWith("Broker.Vault depends on the package Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal));

        // A capability that takes the Data Protection project (instead of leaving the choice of KEK to the host).
        var through = HouseRules.Check(SoundHouse(With("src/Broker.Credentials/Broker.Credentials.csproj", projects: ["src/Broker.Vault.DataProtection/Broker.Vault.DataProtection.csproj"])));
        Assert.Contains(through, v => v.StartsWith("Broker.Credentials depends on the package Microsoft.AspNetCore.DataProtection (Broker.Credentials -> Broker.Vault.DataProtection)", StringComparison.Ordinal));
    }

    [Fact]
    public void AStoreReferencingTheHost_IsCaught()
    {
        var violations = HouseRules.Check(SoundHouse(With("src/Broker.Storage.Postgres/Broker.Storage.Postgres.csproj", projects: ["src/Broker.Storage/Broker.Storage.csproj", "src/Broker.Server/Broker.Server.csproj"])));
        Assert.Contains(violations, v => v.StartsWith("Broker.Storage.Postgres references the host", StringComparison.Ordinal));
    }

    [Fact]
    public void TheCoreReferencingAnyBrokerProject_IsCaught()
    {
        var violations = HouseRules.Check(SoundHouse(With("src/Broker.Core/Broker.Core.csproj", projects: ["src/Broker.Vault/Broker.Vault.csproj"])));
        Assert.Contains(violations, v => v.StartsWith("Broker.Core references another Broker project (Broker.Core -> Broker.Vault)", StringComparison.Ordinal));
    }

    [Fact]
    public void TheSdkReferencingTheServer_AndTheServerReferencingTheSdk_AreCaught()
    {
        var violations = HouseRules.Check(SoundHouse(
            With("sdk/Broker.Client.Aws/Broker.Client.Aws.csproj", projects: ["sdk/Broker.Client/Broker.Client.csproj", "src/Broker.Minting/Broker.Minting.csproj"]),
            With("src/Broker.Server/Broker.Server.csproj", projects: ["src/Broker.Storage.Sqlite/Broker.Storage.Sqlite.csproj", "sdk/Broker.Client/Broker.Client.csproj"], sdk: "Microsoft.NET.Sdk.Web")));
        Assert.Contains(violations, v => v.StartsWith("Broker.Client.Aws (sdk) references a server project (Broker.Client.Aws -> Broker.Minting)", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Broker.Server references the SDK (Broker.Server -> Broker.Client)", StringComparison.Ordinal));
    }

    [Fact]
    public void ANewSrcProjectWithoutARole_IsCaught()
    {
        var violations = HouseRules.Check(SoundHouse(With("src/Broker.Policies/Broker.Policies.csproj", projects: ["src/Broker.Core/Broker.Core.csproj"])));
        Assert.Contains(violations, v => v.StartsWith("src/Broker.Policies/Broker.Policies.csproj has no place in the house", StringComparison.Ordinal));
    }

    /// <summary>The house as it should stand, with <paramref name="changes"/> replacing projects of the same path.</summary>
    private static ProjectGraph SoundHouse(params ProjectNode[] changes)
    {
        ProjectNode[] sound =
        [
            With("src/Broker.Server/Broker.Server.csproj", sdk: "Microsoft.NET.Sdk.Web", projects: ["src/Broker.Vault.DataProtection/Broker.Vault.DataProtection.csproj", "src/Broker.Credentials/Broker.Credentials.csproj", "src/Broker.Keys/Broker.Keys.csproj", "src/Broker.Minting/Broker.Minting.csproj", "src/Broker.Audit/Broker.Audit.csproj", "src/Broker.Storage.Sqlite/Broker.Storage.Sqlite.csproj", "src/Broker.Storage.Postgres/Broker.Storage.Postgres.csproj"], packages: ["Microsoft.AspNetCore.OpenApi"]),
            With("src/Broker.Core/Broker.Core.csproj"),
            With("src/Broker.Vault/Broker.Vault.csproj", projects: ["src/Broker.Core/Broker.Core.csproj"], packages: ["Microsoft.Extensions.DependencyInjection.Abstractions"]),
            With("src/Broker.Vault.DataProtection/Broker.Vault.DataProtection.csproj", projects: ["src/Broker.Vault/Broker.Vault.csproj"], packages: ["Microsoft.AspNetCore.DataProtection"]),
            With("src/Broker.Keys/Broker.Keys.csproj", projects: ["src/Broker.Core/Broker.Core.csproj"]),
            With("src/Broker.Credentials/Broker.Credentials.csproj", projects: ["src/Broker.Vault/Broker.Vault.csproj"]),
            With("src/Broker.Minting/Broker.Minting.csproj", projects: ["src/Broker.Vault/Broker.Vault.csproj"]),
            With("src/Broker.Audit/Broker.Audit.csproj", projects: ["src/Broker.Core/Broker.Core.csproj"]),
            With("src/Broker.Storage/Broker.Storage.csproj", projects: ["src/Broker.Keys/Broker.Keys.csproj", "src/Broker.Credentials/Broker.Credentials.csproj", "src/Broker.Audit/Broker.Audit.csproj", "src/Broker.Minting/Broker.Minting.csproj"]),
            With("src/Broker.Storage.Sqlite/Broker.Storage.Sqlite.csproj", projects: ["src/Broker.Storage/Broker.Storage.csproj"], packages: ["Microsoft.Data.Sqlite"]),
            With("src/Broker.Storage.Postgres/Broker.Storage.Postgres.csproj", projects: ["src/Broker.Storage/Broker.Storage.csproj"], packages: ["Npgsql"]),
            With("sdk/Broker.Client/Broker.Client.csproj", packages: ["Microsoft.AspNetCore.DataProtection"]),
            With("sdk/Broker.Client.Aws/Broker.Client.Aws.csproj", projects: ["sdk/Broker.Client/Broker.Client.csproj"]),
            With("sdk/Broker.Client.AspNetCore/Broker.Client.AspNetCore.csproj", projects: ["sdk/Broker.Client/Broker.Client.csproj"], frameworks: ["Microsoft.AspNetCore.App"]),
        ];
        var byPath = sound.ToDictionary(p => p.Path, StringComparer.Ordinal);
        foreach (var change in changes)
        {
            byPath[change.Path] = change;
        }

        return new ProjectGraph(byPath.Values);
    }

    private static ProjectNode With(string path, string[]? projects = null, string[]? frameworks = null, string[]? packages = null, string sdk = "Microsoft.NET.Sdk") =>
        new(path, [sdk], projects ?? [], frameworks ?? [], packages ?? []);
}
