namespace Broker.Keys;

public enum KeyStatus
{
    Active,
    Revoked,
    Expired,
}
