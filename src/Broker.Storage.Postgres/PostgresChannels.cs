namespace Broker.Storage.Postgres;

/// <summary>The LISTEN/NOTIFY channels the stores notify on (delivered at commit, to every replica).</summary>
public static class PostgresChannels
{
    /// <summary>Payload: JSON <c>{"t": tenant, "c": cursor, "n": name}</c> of a shared credential value's change.</summary>
    public const string Credentials = "broker_credentials";

    /// <summary>Payload: the key id revoked or rotated.</summary>
    public const string KeyEvents = "broker_key_events";

    /// <summary>Payload: the kid of a signing key retired at once; every replica reloads its signing-key view.</summary>
    public const string SigningKeys = "broker_signing_keys";

    /// <summary>Payload: the id of an approval just decided; every replica wakes the requests waiting on it.</summary>
    public const string Approvals = "broker_approvals";
}
