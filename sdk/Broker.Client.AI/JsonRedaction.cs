using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Broker.Client.AI;

/// <summary>Redaction of text and of any value that reaches the model as JSON (tool results, tool arguments).</summary>
internal static class JsonRedaction
{
    public static string Redact(SecretRedactor redactor, string text, string direction)
    {
        var redacted = redactor.Redact(text);
        BrokerAITelemetry.CountRedactions(text, redacted, direction);
        return redacted;
    }

    /// <summary>Returns the value with every string in it redacted; <paramref name="changed"/> says whether anything was.</summary>
    public static object? RedactValue(SecretRedactor redactor, object? value, string direction, out bool changed)
    {
        changed = false;
        switch (value)
        {
            case null:
                return null;
            case string s:
                var text = Redact(redactor, s, direction);
                changed = !ReferenceEquals(text, s);
                return text;
            default:
                // Anything else reaches the model as JSON: redact every string in that JSON (names included).
                JsonNode? node;
                try
                {
                    node = value is JsonElement e ? JsonNode.Parse(e.GetRawText()) : JsonSerializer.SerializeToNode(value, value.GetType(), AIJsonUtilities.DefaultOptions);
                }
                catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
                {
                    var fallback = value.ToString() ?? string.Empty;
                    var redactedText = Redact(redactor, fallback, direction);
                    changed = !ReferenceEquals(redactedText, fallback);
                    return changed ? redactedText : value;
                }

                if (node is null || !RedactNode(redactor, node, direction))
                {
                    return value;
                }

                changed = true;
                return JsonSerializer.SerializeToElement(node, AIJsonUtilities.DefaultOptions);
        }
    }

    /// <summary>Redacts every string (property names included) under <paramref name="node"/> in place.</summary>
    public static bool RedactNode(SecretRedactor redactor, JsonNode node, string direction)
    {
        var changed = false;
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    var target = key;
                    var redactedKey = Redact(redactor, key, direction);
                    if (!ReferenceEquals(redactedKey, key))
                    {
                        o.Remove(key);
                        o[redactedKey] = child;
                        target = redactedKey;
                        changed = true;
                    }

                    if (child is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        var r = Redact(redactor, s, direction);
                        if (!ReferenceEquals(r, s))
                        {
                            o[target] = r;
                            changed = true;
                        }
                    }
                    else if (child is not null)
                    {
                        changed |= RedactNode(redactor, child, direction);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        var r = Redact(redactor, s, direction);
                        if (!ReferenceEquals(r, s))
                        {
                            a[i] = r;
                            changed = true;
                        }
                    }
                    else if (a[i] is { } child)
                    {
                        changed |= RedactNode(redactor, child, direction);
                    }
                }

                break;
        }

        return changed;
    }
}
