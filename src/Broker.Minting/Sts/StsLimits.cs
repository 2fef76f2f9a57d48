namespace Broker.Minting.Sts;

/// <summary>The bounds of <see cref="StsRequest"/> and the STS naming rules.</summary>
public static class StsLimits
{
    public const int DefaultDurationSeconds = 900;
    public const int MinDurationSeconds = 900;
    public const int MaxDurationSeconds = 43200;
    public const int MaxPolicyLength = 2048;
    public const int MaxTaskLength = 128;
    public const int MinRoleArnLength = 20;
    public const int MaxRoleArnLength = 2048;

    /// <summary>RoleSessionName and SourceIdentity: 2..64 characters of <c>[\w+=,.@-]</c>.</summary>
    public const int MaxSessionNameLength = 64;

    /// <summary>Session tag values: at most 256 characters of <c>[\p{L}\p{Z}\p{N}_.:/=+\-@]</c>.</summary>
    public const int MaxTagValueLength = 256;
}
