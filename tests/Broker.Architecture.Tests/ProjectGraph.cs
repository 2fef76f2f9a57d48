using System.Xml.Linq;

namespace Broker.Architecture.Tests;

/// <summary>
/// The projects under <c>src/</c> and <c>sdk/</c> and everything they reference, read from the project files
/// themselves (XML), including the items of any <c>Directory.Build.props</c>/<c>.targets</c> above them.
/// Conditions are ignored: an item that may be there counts as there.
/// </summary>
public sealed class ProjectGraph
{
    private static readonly string[] RootAreas = ["src", "sdk"];
    private readonly Dictionary<string, ProjectNode> _byPath;

    public ProjectGraph(IEnumerable<ProjectNode> projects)
    {
        _byPath = projects.ToDictionary(p => p.Path, StringComparer.Ordinal);
    }

    public IEnumerable<ProjectNode> Projects => _byPath.Values.OrderBy(p => p.Path, StringComparer.Ordinal);

    public ProjectNode this[string name] => _byPath.Values.Single(p => p.Name == name);

    /// <summary>
    /// The project and every project it reaches through project references, each with the shortest chain of names
    /// that leads there (starting with the project itself).
    /// </summary>
    public IEnumerable<(ProjectNode Project, IReadOnlyList<string> Via)> Closure(ProjectNode root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.Path };
        var queue = new Queue<(ProjectNode, IReadOnlyList<string>)>();
        queue.Enqueue((root, [root.Name]));
        while (queue.Count > 0)
        {
            var (project, via) = queue.Dequeue();
            yield return (project, via);
            foreach (var reference in project.ProjectReferences)
            {
                if (!seen.Add(reference))
                {
                    continue;
                }

                // A reference to a file that does not exist breaks the build anyway; here it is a node with no edges.
                var next = _byPath.TryGetValue(reference, out var known) ? known : new ProjectNode(reference, [], [], [], []);
                queue.Enqueue((next, [.. via, next.Name]));
            }
        }
    }

    /// <summary>Reads every project file under <c>src/</c> and <c>sdk/</c> of <paramref name="repoRoot"/>, and what they reference.</summary>
    public static ProjectGraph Load(string repoRoot)
    {
        var root = Path.GetFullPath(repoRoot);
        var nodes = new Dictionary<string, ProjectNode>(StringComparer.Ordinal);
        var pending = new Stack<string>(RootAreas
            .Select(area => Path.Combine(root, area))
            .Where(Directory.Exists)
            .SelectMany(dir => Directory.EnumerateFiles(dir, "*.csproj", SearchOption.AllDirectories))
            .Where(file => !IsBuildOutput(root, file)));
        while (pending.Count > 0)
        {
            var file = pending.Pop();
            var relative = Relative(root, file);
            if (nodes.ContainsKey(relative) || !File.Exists(file))
            {
                continue;
            }

            var node = Read(root, file);
            nodes[relative] = node;
            foreach (var reference in node.ProjectReferences)
            {
                pending.Push(Path.Combine(root, reference));
            }
        }

        return new ProjectGraph(nodes.Values);
    }

    private static ProjectNode Read(string root, string file)
    {
        var project = XDocument.Load(file).Root ?? throw new InvalidDataException($"{file} is empty.");
        var dir = Path.GetDirectoryName(file)!;
        var sdks = (project.Attribute("Sdk")?.Value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(Elements(project, "Sdk").Select(e => e.Attribute("Name")?.Value ?? ""))
            .Concat(Elements(project, "Import").Select(e => e.Attribute("Sdk")?.Value ?? ""))
            .Where(s => s.Length > 0)
            .Select(s => s.Split('/')[0])
            .Distinct(StringComparer.Ordinal)
            .ToList();

        // Directory.Build.props/targets apply to every project below them: their items belong to this project too.
        var documents = new List<(XElement Xml, string Dir)> { (project, dir) };
        for (var d = new DirectoryInfo(dir); d is not null && d.FullName.Length >= root.TrimEnd(Path.DirectorySeparatorChar).Length; d = d.Parent)
        {
            foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets" })
            {
                var path = Path.Combine(d.FullName, name);
                if (File.Exists(path) && XDocument.Load(path).Root is { } xml)
                {
                    documents.Add((xml, d.FullName));
                }
            }
        }

        return new ProjectNode(
            Relative(root, file),
            sdks,
            documents.SelectMany(doc => Includes(doc.Xml, "ProjectReference").Select(include => Relative(root, Path.GetFullPath(Path.Combine(doc.Dir, include.Replace('\\', '/')))))).Distinct(StringComparer.Ordinal).ToList(),
            documents.SelectMany(doc => Includes(doc.Xml, "FrameworkReference")).Distinct(StringComparer.Ordinal).ToList(),
            documents.SelectMany(doc => Includes(doc.Xml, "PackageReference")).Distinct(StringComparer.OrdinalIgnoreCase).ToList());
    }

    private static IEnumerable<XElement> Elements(XElement project, string localName) =>
        project.Descendants().Where(e => e.Name.LocalName == localName);

    private static IEnumerable<string> Includes(XElement project, string item) =>
        Elements(project, item)
            .Select(e => e.Attribute("Include")?.Value)
            .OfType<string>()
            .SelectMany(v => v.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');

    private static bool IsBuildOutput(string root, string file) =>
        Relative(root, file).Split('/').Any(segment => segment is "bin" or "obj");
}
