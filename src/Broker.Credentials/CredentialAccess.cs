namespace Broker.Credentials;

/// <summary>
/// What leaves the broker: <see cref="Read"/> lets agents whose patterns allow it read the value; <see cref="Use"/>
/// means the value never leaves (agents cannot read it; the broker uses it on their behalf, as for STS). <c>aws</c>
/// credentials are always <see cref="Use"/>.
/// </summary>
public static class CredentialAccess
{
    public const string Read = "read";
    public const string Use = "use";

    public static bool IsKnown(string? value) => value is Read or Use;

    /// <summary>The access a value of <paramref name="kind"/> gets when <paramref name="asked"/> (or the current one) says so.</summary>
    public static string For(string kind, string? asked) => kind == CredentialKinds.Aws ? Use : asked ?? Read;
}
