namespace Broker.Architecture.Tests;

/// <summary>
/// One project file as the rules see it: <paramref name="Path"/> and the paths in <paramref name="ProjectReferences"/>
/// are relative to the repository root with forward slashes (<c>src/Broker.Vault/Broker.Vault.csproj</c>).
/// </summary>
public sealed record ProjectNode(
    string Path,
    IReadOnlyList<string> Sdks,
    IReadOnlyList<string> ProjectReferences,
    IReadOnlyList<string> FrameworkReferences,
    IReadOnlyList<string> PackageReferences)
{
    /// <summary>The project's name: its file name without <c>.csproj</c>.</summary>
    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>The top folder it lives in: <c>src</c>, <c>sdk</c>, <c>tests</c>...</summary>
    public string Area => Path.Split('/')[0];
}
