using System.Reflection;

namespace Broker.Architecture.Tests;

/// <summary>The repository these tests run in, and the assemblies loaded from its build.</summary>
internal static class Repository
{
    private static readonly string RuntimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;

    /// <summary>The nearest folder above the test's output that holds Broker.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// An assembly's references as the runtime resolves them from this test's output; null (the walk stops) for the
    /// runtime's own assemblies and for one that is not there.
    /// </summary>
    public static IReadOnlyList<AssemblyName>? ReferencesOf(AssemblyName name)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }

        return string.Equals(Path.GetDirectoryName(assembly.Location), RuntimeDirectory, StringComparison.Ordinal)
            ? null
            : assembly.GetReferencedAssemblies();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Broker.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Broker.sln above {AppContext.BaseDirectory}.");
    }
}
