using System.Collections;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Broker.Server.Tests;

/// <summary>One hostile request: what it tries (for the failure report) and what goes on the wire.</summary>
/// <param name="MustRefuse">Whatever the key, the answer must be a 4xx: the body is not UTF-8 JSON of one object with each field once.</param>
/// <param name="ForEveryKey">
/// Worth sending with keys the route refuses too (the path, method and headers are read before the key is checked);
/// a body or a query value is read only once a key is admitted, so those go with admitted keys only.
/// </param>
internal sealed record HostileRequest(
    string Variant, string Method, string PathAndQuery, byte[]? Body, string? ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool MustRefuse = false, bool ForEveryKey = false)
{
    /// <summary>When the variant brings its own Authorization header(s), it is sent as is instead of once per key.</summary>
    public bool SetsAuthorization => Headers.Any(h => h.Key == "Authorization");
}

/// <summary>
/// A deterministic set of hostile requests for one route: route values, bodies (random bytes, invalid UTF-8,
/// truncated JSON, a wrong type or a huge or deep value in each field, duplicate fields), media types and charsets,
/// query values and headers. Names that reach a route are a valid-looking <see cref="TargetName"/> unless the
/// variant is about the name.
/// </summary>
internal static class HostileRequests
{
    public const string TargetName = "fuzz_target";
    private const string Json = "application/json";

    /// <summary>
    /// Route values, as they go on the wire (already percent-encoded where it matters). <c>%00</c> is not here: the
    /// in-memory test host refuses it before the app runs; <see cref="WireLevelHostileInputTests"/> sends it to Kestrel.
    /// </summary>
    public static readonly string[] RouteValues =
    [
        TargetName, "%01", "%FF%FE", "%C0%AF", "%ED%A0%80", "%E2%80%AE", "%0D%0Aset-cookie:%20x=1", "..", "..%2F..%2Fadmin.key",
        "%2e%2e%2fkeys", "%25", "%20", "-", "@", "Upper", "%F0%9F%98%80", "%EF%BF%BF", "brk_%FF", new string('a', 129), new string('a', 10_240),
        string.Concat(Enumerable.Repeat("%C3%A9", 3_000)),
    ];

    public static readonly string[] QueryValues =
    [
        "", "x", "-1", "0", "1.5", "61", "1001", "2147483648", "99999999999999999999", "1e3", "0x10", "%00", "%01", "%FF", "%C0%AF",
        "%E2%80%AE", "%0D%0A", "%F0%9F%98%80", "2026-13-45T99:99:99Z", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00%2B14:00",
        new string('a', 10_240), "a%20b", "*", "%22%22",
    ];

    public static readonly string[] HeaderValues =
    [
        "x", "\"\"", "\"-1\"", "\"0\"", "W/", "W/\"1\"", "W/\"\"", "\"99999999999999999999\"", "*", "\"1\", \"2\"", "\"" + new string('9', 10_000) + "\"",
        "\u00ff\u00fe", "\"\u00e9\"", "\"1", "1\"",
    ];

    /// <summary>JSON values put in each field in turn: wrong types, out-of-range and odd numbers, nulls, huge and deep values.</summary>
    public static readonly string[] FieldValues =
    [
        "null", "12", "-1", "0", "1.5", "-0", "1e400", "-1e400", "99999999999999999999999", "2147483648", "true", "\"\"", "\"x\"", "\"12\"", "{}",
        "[]", "[null]", "[12]", "[{}]", "[[]]", "{\"a\":null}", "{\"a\":12}", "{\"a\":[]}", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\u0001\"", "\"\\ud800\"",
        "\"\\udc00\\ud800\"", "\"\\u202e\"", "\"9999-99-99T99:99:99Z\"", "\"2030-01-01\"", "\"0001-01-01T00:00:00+14:00\"",
        "\"9999-12-31T23:59:59-14:00\"", "\"1999-01-01T00:00:00Z\"", "\"" + new string('x', 60_000) + "\"",
        "[" + string.Join(",", Enumerable.Repeat("\"fuzz\"", 5_000)) + "]", new string('[', 100) + new string(']', 100),
        "{" + string.Join(",", Enumerable.Range(0, 2_000).Select(i => $"\"k{i}\":\"v\"")) + "}",
    ];

    /// <summary>Body variants a route may accept (an optional body, unknown fields); every other one must be refused.</summary>
    private static readonly HashSet<string> Acceptable =
    [
        "no body", "empty body", "body null", "body empty object", "many members", "body just under the limit", "UTF-8 BOM",
        "charset quoted utf-8", "charset UTF-8 upper case", "json suffix", "10 KB media type",
    ];

    public static IEnumerable<HostileRequest> For(FuzzRoute route, Random random, string secretMarker)
    {
        var path = route.PathWith(TargetName);
        var defaultBody = route.BodyType is null ? null : U("{}");
        var defaultType = route.BodyType is null ? null : Json;

        if (route.HasRouteValues)
        {
            foreach (var value in RouteValues)
            {
                yield return new($"route value '{Short(value)}'", route.Method, route.PathWith(value), defaultBody, defaultType, [], ForEveryKey: true);
            }
        }

        foreach (var name in route.QueryNames)
        {
            foreach (var value in QueryValues)
            {
                yield return new($"query {name}='{Short(value)}'", route.Method, $"{path}?{name}={value}", defaultBody, defaultType, []);
            }

            yield return new($"query {name} twice", route.Method, $"{path}?{name}=1&{name}=2", defaultBody, defaultType, []);
            yield return new($"query {name} without value", route.Method, $"{path}?{name}", defaultBody, defaultType, []);
        }

        foreach (var name in route.HeaderNames)
        {
            foreach (var value in HeaderValues)
            {
                yield return new($"header {name}: '{Short(value)}'", route.Method, path, defaultBody, defaultType, [new(name, value)]);
            }

            yield return new($"header {name} twice", route.Method, path, defaultBody, defaultType, [new(name, "\"1\""), new(name, "\"2\"")]);
        }

        foreach (var (variant, headers) in HeaderVariants(secretMarker))
        {
            yield return new(variant, route.Method, path, defaultBody, defaultType, headers, ForEveryKey: true);
        }

        foreach (var method in new[] { "PATCH", "TRACE", "PROPFIND" })
        {
            yield return new($"method {method}", method, path, defaultBody, defaultType, [], ForEveryKey: true);
            yield return new($"method {method}, Accept XML", method, path, defaultBody, defaultType, [new("Accept", "application/xml")], ForEveryKey: true);
        }

        if (route.BodyType is null)
        {
            // A body where none is expected must be ignored or refused, never crash the route.
            yield return new("unexpected body", route.Method, path, U("{\"a\":1}"), Json, []);
            yield return new("unexpected invalid UTF-8 body", route.Method, path, [0xFF, 0xFE, 0x00], Json, []);
            yield break;
        }

        foreach (var (variant, body, contentType) in BodyVariants(random))
        {
            yield return new(variant, route.Method, path, body, contentType, [], !Acceptable.Contains(variant) && !variant.StartsWith("flipped", StringComparison.Ordinal));
        }

        // Bodies are composed as text: a hostile value (a lone surrogate escape, say) must reach the server as written.
        var shape = BaseBody(route.BodyType, secretMarker);
        foreach (var (field, valid) in shape)
        {
            foreach (var value in FieldValues)
            {
                yield return new($"field {field}={Short(value)}", route.Method, path, U(Compose(shape, field, value)), Json, []);
            }

            yield return new($"field {field} twice", route.Method, path, U(Compose(shape, null, null, $"\"{field}\":{valid}")), Json, [], true);
            yield return new($"field {field} twice in another case", route.Method, path, U(Compose(shape, null, null, $"\"{field.ToUpperInvariant()}\":{valid}")), Json, [], true);
            var invalid = U(Compose(shape, field, "\"\u0001\""));
            var at = Array.IndexOf(invalid, (byte)0x01);
            invalid[at] = 0xC3;
            yield return new($"field {field} with invalid UTF-8", route.Method, path, [.. invalid[..(at + 1)], 0x28, .. invalid[(at + 1)..]], Json, [], true);
        }

        yield return new("every field valid-looking", route.Method, path, U(Compose(shape, null, null)), Json, []);
    }

    private static string Compose(IReadOnlyList<(string Field, string Json)> shape, string? replace, string? with, string? extra = null) =>
        "{" + string.Join(",", shape.Select(p => $"\"{p.Field}\":" + (p.Field == replace ? with : p.Json)).Concat(extra is null ? [] : [extra])) + "}";

    private static IEnumerable<(string Variant, IReadOnlyList<KeyValuePair<string, string>> Headers)> HeaderVariants(string secretMarker)
    {
        static KeyValuePair<string, string> Auth(string value) => new("Authorization", value);
        yield return ("Authorization 'Bearer'", [Auth("Bearer")]);
        yield return ("Authorization 'Bearer '", [Auth("Bearer ")]);
        yield return ("Authorization with odd bytes", [Auth("Bearer " + secretMarker + "\u00ff\u0001\u007f")]);
        yield return ("Authorization with only control bytes", [Auth("Bearer \u0001\u0002\u0003")]);
        yield return ("Authorization Basic", [Auth("Basic " + Convert.ToBase64String(U(secretMarker + ":x")))]);
        yield return ("Authorization 10 KB", [Auth("Bearer brk_" + new string('a', 10_240))]);
        yield return ("Authorization non-ASCII", [Auth("Bearer brk_\u00e9\u00e8" + secretMarker)]);
        yield return ("two Authorization headers", [Auth("Bearer " + BrokerApp.AdminKey), Auth("Bearer " + secretMarker)]);
        yield return ("Authorization list in one header", [Auth("Bearer " + BrokerApp.AdminKey + ", Bearer " + secretMarker)]);
        yield return ("User-Agent with control bytes", [new("User-Agent", "\u0001\u007f" + new string('u', 10_000))]);
        yield return ("Accept XML", [new("Accept", "application/xml")]);
        yield return ("X-Forwarded-For garbage", [new("X-Forwarded-For", "not-an-ip, \u00ff")]);
    }

    private static IEnumerable<(string Variant, byte[]? Body, string? ContentType)> BodyVariants(Random random)
    {
        yield return ("no body", null, null);
        yield return ("empty body", [], Json);
        yield return ("body null", U("null"), Json);
        yield return ("body array", U("[]"), Json);
        yield return ("body array of objects", U("[{}]"), Json);
        yield return ("body string", U("\"x\""), Json);
        yield return ("body number", U("12"), Json);
        yield return ("body huge number", U(new string('9', 5_000)), Json);
        yield return ("body true", U("true"), Json);
        yield return ("body empty object", U("{}"), Json);
        yield return ("body whitespace", U("  \n\t "), Json);
        yield return ("truncated object", U("{"), Json);
        yield return ("truncated member", U("{\"a\":"), Json);
        yield return ("truncated string", U("{\"a\":\"abc"), Json);
        yield return ("truncated escape", U("{\"a\":\"\\u12"), Json);
        yield return ("trailing comma", U("{\"a\":1,}"), Json);
        yield return ("comment", U("/* x */{}"), Json);
        yield return ("two documents", U("{}{}"), Json);
        yield return ("trailing garbage", U("{}x"), Json);
        yield return ("NaN", U("{\"a\":NaN}"), Json);
        yield return ("single quotes", U("{'a':1}"), Json);
        yield return ("invalid UTF-8 in an ignored value", [.. U("{\"a\":\""), 0xFF, 0xFE, .. U("\"}")], Json);
        yield return ("invalid UTF-8 in a member name", [.. U("{\""), 0xC0, 0xAF, .. U("\":1}")], Json);
        yield return ("overlong NUL", [.. U("{\"a\":\""), 0xC0, 0x80, .. U("\"}")], Json);
        yield return ("UTF-8 encoded surrogate", [.. U("{\"a\":\""), 0xED, 0xA0, 0x80, .. U("\"}")], Json);
        yield return ("invalid UTF-8 after valid JSON", [.. U("{} "), 0xFF], Json);
        yield return ("lone surrogate escape", U("{\"a\":\"\\ud800\"}"), Json);
        yield return ("raw control byte in a string", [.. U("{\"a\":\""), 0x01, .. U("\"}")], Json);
        yield return ("NUL byte", [.. U("{"), 0x00, .. U("}")], Json);
        yield return ("UTF-8 BOM", [0xEF, 0xBB, 0xBF, .. U("{}")], Json);
        yield return ("UTF-16 body", Encoding.Unicode.GetBytes("{}"), Json);
        yield return ("UTF-32 body", Encoding.UTF32.GetBytes("{}"), Json);
        yield return ("deep arrays", U(new string('[', 10_000) + new string(']', 10_000)), Json);
        yield return ("deep objects", U(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)), Json);
        yield return ("many members", U("{" + string.Join(",", Enumerable.Range(0, 5_000).Select(i => $"\"m{i}\":{i}")) + "}"), Json);
        yield return ("body over the limit", U("{\"a\":\"" + new string('x', 70_000) + "\"}"), Json);
        yield return ("body just under the limit", U("{\"a\":\"" + new string('x', 65_000) + "\"}"), Json);
        for (var i = 0; i < 8; i++)
        {
            var bytes = new byte[random.Next(1, 3_000)];
            random.NextBytes(bytes);
            yield return ($"random bytes #{i} ({bytes.Length} B)", bytes, Json);
        }

        for (var i = 0; i < 4; i++)
        {
            var bytes = U("{\"a\":\"" + new string('x', 50) + "\"}");
            for (var flip = 0; flip < 4; flip++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            yield return ($"flipped bytes #{i}", bytes, Json);
        }

        yield return ("no content type", U("{}"), null);
        yield return ("text/plain", U("{}"), "text/plain");
        yield return ("application/xml", U("<a/>"), "application/xml");
        yield return ("form", U("a=b"), "application/x-www-form-urlencoded");
        yield return ("multipart", U("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"), "multipart/form-data; boundary=x");
        yield return ("octet-stream", U("{}"), "application/octet-stream");
        yield return ("charset quoted utf-8", U("{}"), "application/json; charset=\"utf-8\"");
        yield return ("charset UTF-8 upper case", U("{}"), "application/json; charset=UTF-8");
        yield return ("charset foo", U("{}"), "application/json; charset=foo");
        yield return ("charset quoted foo", U("{}"), "application/json; charset=\"foo\"");
        yield return ("charset utf-16", Encoding.Unicode.GetBytes("{}"), "application/json; charset=utf-16");
        yield return ("charset utf-32", Encoding.UTF32.GetBytes("{}"), "application/json; charset=utf-32");
        yield return ("charset iso-8859-1", U("{}"), "application/json; charset=iso-8859-1");
        yield return ("charset us-ascii", U("{}"), "application/json; charset=us-ascii");
        yield return ("charset utf-7", U("{}"), "application/json; charset=utf-7");
        yield return ("charset empty", U("{}"), "application/json; charset=");
        yield return ("charset empty quotes", U("{}"), "application/json; charset=\"\"");
        yield return ("charset unterminated quote", U("{}"), "application/json; charset=\"utf-8");
        yield return ("two charsets", U("{}"), "application/json; charset=utf-8; charset=utf-16");
        yield return ("malformed media type", U("{}"), "application/json;;;=");
        yield return ("media type without subtype", U("{}"), "application");
        yield return ("wildcard media type", U("{}"), "*/*");
        yield return ("application wildcard", U("{}"), "application/*");
        yield return ("json suffix", U("{}"), "application/merge-patch+json");
        yield return ("json suffix with charset foo", U("{}"), "application/problem+json; charset=foo");
        yield return ("non-ASCII media type", U("{}"), "application/j\u00e9son");
        yield return ("10 KB media type", U("{}"), "application/json; x=" + new string('a', 10_240));
    }

    /// <summary>A body of the route's shape where every field holds a plausible value (secrets hold the marker).</summary>
    private static IReadOnlyList<(string Field, string Json)> BaseBody(Type type, string secretMarker)
    {
        var body = new List<(string, string)>();
        foreach (var property in type.GetProperties().Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            JsonNode? value =
                t == typeof(string) ? (name is "value" or "key" ? secretMarker : "fuzz") :
                t == typeof(int) || t == typeof(long) ? 60 :
                t == typeof(bool) ? true :
                t == typeof(DateTimeOffset) || t == typeof(DateTime) ? "2030-01-01T00:00:00Z" :
                t == typeof(JsonElement) ? new JsonObject { ["Version"] = "2012-10-17" } :
                typeof(IDictionary).IsAssignableFrom(t) || t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)) ? new JsonObject { ["fuzz"] = "fuzz" } :
                t != typeof(string) && typeof(IEnumerable).IsAssignableFrom(t) ? new JsonArray("fuzz") :
                null;
            body.Add((name, value?.ToJsonString() ?? "null"));
        }

        return body;
    }

    private static byte[] U(string text) => Encoding.UTF8.GetBytes(text);

    private static string Short(string value) => value.Length <= 40 ? value : value[..20] + $"…({value.Length} chars)";
}
