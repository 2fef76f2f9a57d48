namespace Broker.Client;

/// <summary>The broker's verdict on an inbound key. Immutable; never holds the key.</summary>
public class InboundKeyResult
{
    /// <summary>For mocking. Use <see cref="BrokerModelFactory.InboundKeyResult"/> in tests.</summary>
    protected InboundKeyResult()
    {
    }

    internal InboundKeyResult(bool isValid, InboundKeyFailure reason, string? keyId, string? name, string? tenant)
    {
        IsValid = isValid;
        Reason = reason;
        KeyId = keyId;
        Name = name;
        Tenant = tenant;
    }

    /// <summary>Whether the key may call this agent now.</summary>
    public virtual bool IsValid { get; }

    /// <summary>Why not, when <see cref="IsValid"/> is false; <see cref="InboundKeyFailure.None"/> otherwise.</summary>
    public virtual InboundKeyFailure Reason { get; }

    /// <summary>The key's id, when valid.</summary>
    public virtual string? KeyId { get; }

    /// <summary>The key's name, when valid.</summary>
    public virtual string? Name { get; }

    /// <summary>The key's tenant, when valid.</summary>
    public virtual string? Tenant { get; }

    /// <inheritdoc />
    public override string ToString() => $"InboundKeyResult {{ IsValid = {IsValid}, Reason = {Reason}, KeyId = {KeyId}, Name = {Name}, Tenant = {Tenant} }}";
}
