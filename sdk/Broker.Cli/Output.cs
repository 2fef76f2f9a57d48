using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Broker.Cli;

/// <summary>Human-readable tables and lines by default; with <c>--json</c>, one JSON document per command for scripts.</summary>
internal sealed class Output(TextWriter writer, bool json)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public bool Json { get; } = json;

    public TextWriter Writer { get; } = writer;

    /// <summary>The value as JSON with <c>--json</c>, else what <paramref name="text"/> writes.</summary>
    public void Write<T>(T value, Action text)
    {
        if (Json)
        {
            WriteJson(value);
        }
        else
        {
            text();
        }
    }

    public void WriteJson<T>(T value) => Writer.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>One JSON document per line, for a stream (<c>audit tail --follow --json</c>).</summary>
    public void WriteJsonLine<T>(T value) => Writer.WriteLine(JsonSerializer.Serialize(value, LineOptions));

    public void Line(string text = "") => Writer.WriteLine(text);

    /// <summary>Aligned <c>name: value</c> lines; null values are shown as <c>-</c>.</summary>
    public void Fields(params (string Name, object? Value)[] fields)
    {
        var width = fields.Max(f => f.Name.Length) + 1;
        foreach (var (name, value) in fields)
        {
            Writer.WriteLine((name + ":").PadRight(width) + " " + Format(value));
        }
    }

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var cells = rows.Select(r => r.Select(Format).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        WriteRow(headers.ToArray(), widths);
        foreach (var row in cells)
        {
            WriteRow(row, widths);
        }
    }

    public static string Format(object? value) => value switch
    {
        null => "-",
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        IEnumerable<string> list => list.Any() ? string.Join(",", list) : "-",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() is { Length: > 0 } s ? s : "-",
    };

    private static readonly JsonSerializerOptions LineOptions = new(JsonOptions) { WriteIndented = false };

    private void WriteRow(string[] row, int[] widths)
    {
        var parts = row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i]));
        Writer.WriteLine(string.Join("  ", parts).TrimEnd());
    }
}
