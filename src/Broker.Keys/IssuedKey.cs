namespace Broker.Keys;

/// <summary>A key and its secret, returned once at creation or rotation. <see cref="ToString"/> hides the secret.</summary>
public sealed record IssuedKey(ApiKeyRecord Key, string Secret)
{
    public override string ToString() => $"IssuedKey {{ Id = {Key.Id}, Prefix = {Key.Prefix} }}";
}
