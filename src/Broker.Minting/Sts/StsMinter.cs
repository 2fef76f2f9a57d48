using System.Net;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Broker.Core;
using Broker.Core.Grants;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Minting.Sts;

/// <summary>
/// Mints temporary AWS credentials (<c>POST /v1/sts</c>): STS AssumeRole signed with a stored <c>aws</c> credential.
/// </summary>
/// <remarks>
/// Nothing from the base credential or the session credentials reaches a log line or an exception message. STS
/// error messages are never passed through (some quote the access key id); callers see a fixed message per error
/// code. The role's trust policy must allow <c>sts:TagSession</c> and <c>sts:SetSourceIdentity</c>, since every
/// session carries tags and a source identity.
/// </remarks>
public sealed class StsMinter
{
    private readonly IAwsBaseCredentialSource _credentials;
    private readonly ILogger<StsMinter> _logger;
    private readonly AmazonSecurityTokenServiceConfig _config;

    public StsMinter(IAwsBaseCredentialSource credentials, IOptions<AwsStsOptions> options, ILogger<StsMinter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _credentials = credentials ?? throw new ArgumentNullException(nameof(credentials));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _config = BuildConfig(options.Value);
    }

    /// <summary>Assumes the role and returns the session credentials.</summary>
    /// <exception cref="ValidationException">Fields <c>credential</c>, <c>task</c>, <c>roleArn</c> (also when neither
    /// the request nor the credential names a role), <c>durationSeconds</c> (outside 900..43200), <c>policy</c> (not an
    /// object, or over 2,048 characters), <c>onBehalfOf</c>.</exception>
    /// <exception cref="BrokerOperationException">Forbidden: not an agent key, or its patterns do not allow the credential.
    /// NotFound: no <c>aws</c> credential of that name. Upstream: STS refused or could not be reached (no key material
    /// in the message).</exception>
    public async Task<StsResult> MintAsync(Caller caller, StsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (caller.Role != Role.Agent)
        {
            throw new BrokerOperationException(BrokerErrorKind.Forbidden, "Only agent keys may mint STS credentials.");
        }

        var (duration, policy) = Validate(request);
        var credentialName = request.Credential!;
        GrantPolicy.DemandCredentialUse(caller, credentialName);
        GrantPolicy.DemandSubject(caller, request.OnBehalfOf, proven: caller.HasProven(request.OnBehalfOf));

        var baseCredential = await _credentials.GetAsync(caller.Tenant, credentialName, cancellationToken).ConfigureAwait(false)
            ?? throw new BrokerOperationException(BrokerErrorKind.NotFound, $"There is no aws credential named '{credentialName}'.");

        // Another role than the credential's own, and the duration, are the key's grants to give.
        GrantPolicy.DemandSts(caller, credentialName, request.RoleArn is { } asked && asked != baseCredential.RoleArn ? asked : null, duration);
        var roleArn = request.RoleArn ?? baseCredential.RoleArn;
        GrantPolicy.DemandNoApproval(caller, roleArn: roleArn);
        if (roleArn is null)
        {
            throw new ValidationException("roleArn", "roleArn is required: the credential names no default role.");
        }

        if (!IsRoleArn(roleArn))
        {
            throw new ValidationException("roleArn", "The credential's default roleArn is not an ARN.");
        }

        var assumeRole = BuildRequest(caller, request, roleArn, duration, policy);
        using var client = new AmazonSecurityTokenServiceClient(
            new BasicAWSCredentials(baseCredential.AccessKeyId, baseCredential.SecretAccessKey), _config);
        AssumeRoleResponse response;
        try
        {
            response = await client.AssumeRoleAsync(assumeRole, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException ex)
        {
            var code = SafeCode(ex.ErrorCode);
            _logger.LogWarning("STS AssumeRole with credential {Credential} of tenant {Tenant} failed: {ErrorCode} (HTTP {Status}).",
                credentialName, caller.Tenant, code, (int)ex.StatusCode);
            throw new BrokerOperationException(BrokerErrorKind.Upstream, MessageFor(code, ex.StatusCode));
        }
        catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or IOException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _logger.LogWarning("STS could not be reached for credential {Credential} of tenant {Tenant}: {ExceptionType}.",
                credentialName, caller.Tenant, ex.GetType().Name);
            throw new BrokerOperationException(BrokerErrorKind.Upstream, "STS could not be reached or did not answer in time.");
        }

        var session = response.Credentials;
        if (session?.AccessKeyId is null || session.SecretAccessKey is null || session.SessionToken is null || session.Expiration is null)
        {
            throw new BrokerOperationException(BrokerErrorKind.Upstream, "STS answered AssumeRole without session credentials.");
        }

        return new StsResult(
            session.AccessKeyId,
            session.SecretAccessKey,
            session.SessionToken,
            new DateTimeOffset(DateTime.SpecifyKind(session.Expiration.Value, DateTimeKind.Utc)),
            response.AssumedRoleUser?.Arn ?? roleArn);
    }

    internal static AssumeRoleRequest BuildRequest(Caller caller, StsRequest request, string roleArn, int duration, string? policy)
    {
        var tags = new List<Tag>
        {
            new() { Key = "tenant", Value = StsNames.TagValue(caller.Tenant) },
            new() { Key = "agent", Value = StsNames.TagValue(caller.Name) },
            new() { Key = "task", Value = StsNames.TagValue(request.Task!) },
        };
        if (request.OnBehalfOf is { } user)
        {
            tags.Add(new Tag { Key = "on_behalf_of", Value = StsNames.TagValue(user) });
        }

        return new AssumeRoleRequest
        {
            RoleArn = roleArn,
            RoleSessionName = StsNames.SessionName(caller.Name, request.Task!),
            SourceIdentity = StsNames.SourceIdentity(caller.Name),
            DurationSeconds = duration,
            Policy = policy,
            Tags = tags,
        };
    }

    /// <summary>Checks the request; returns the duration and the compact policy JSON (or null).</summary>
    internal static (int Duration, string? Policy) Validate(StsRequest request)
    {
        Dictionary<string, string[]>? errors = null;
        void Fail(string field, string message) => (errors ??= [])[field] = [message];

        if (!Names.IsValidCredentialName(request.Credential))
        {
            Fail("credential", "credential is required and must match ^[a-z0-9][a-z0-9_.-]{0,127}$.");
        }

        if (!TextRules.IsSafeText(request.Task, StsLimits.MaxTaskLength))
        {
            Fail("task", $"task is required: 1 to {StsLimits.MaxTaskLength} characters, no control characters.");
        }

        if (request.RoleArn is not null && !IsRoleArn(request.RoleArn))
        {
            Fail("roleArn", "roleArn must be an IAM role ARN (arn:...:iam::<account>:role/<name>).");
        }

        var duration = request.DurationSeconds ?? StsLimits.DefaultDurationSeconds;
        if (duration is < StsLimits.MinDurationSeconds or > StsLimits.MaxDurationSeconds)
        {
            Fail("durationSeconds", $"durationSeconds must lie in {StsLimits.MinDurationSeconds}..{StsLimits.MaxDurationSeconds}.");
        }

        string? policy = null;
        if (request.Policy is { } element && element.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                Fail("policy", "policy must be a JSON object (an IAM policy document).");
            }
            else
            {
                policy = Compact(element);
                if (policy.Length > StsLimits.MaxPolicyLength)
                {
                    Fail("policy", $"policy exceeds {StsLimits.MaxPolicyLength} characters once serialised.");
                }
            }
        }

        if (request.OnBehalfOf is not null && !Names.IsValidSubject(request.OnBehalfOf))
        {
            Fail("onBehalfOf", $"onBehalfOf is 1 to {Names.MaxSubjectLength} printable ASCII characters without spaces.");
        }

        return errors is null ? (duration, policy) : throw new ValidationException(errors);
    }

    private static string Compact(JsonElement element)
    {
        // A JsonElement is already valid JSON; rewriting it drops insignificant whitespace before the length check.
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static bool IsRoleArn(string value) =>
        value.StartsWith("arn:", StringComparison.Ordinal)
        && value.Contains(":role/", StringComparison.Ordinal)
        && value.Length >= StsLimits.MinRoleArnLength
        && TextRules.IsPrintableAscii(value, StsLimits.MaxRoleArnLength);

    private static string SafeCode(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return "Unknown";
        }

        var length = Math.Min(code.Length, 64);
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            if (char.IsAsciiLetterOrDigit(code[i]) || code[i] == '.')
            {
                builder.Append(code[i]);
            }
        }

        return builder.Length == 0 ? "Unknown" : builder.ToString();
    }

    private static string MessageFor(string code, HttpStatusCode status) => code switch
    {
        "SignatureDoesNotMatch" => "STS refused the request: the stored AWS secret key does not match its access key (SignatureDoesNotMatch).",
        "InvalidClientTokenId" => "STS refused the request: the stored AWS access key is not valid (InvalidClientTokenId).",
        "AccessDenied" => "STS refused the request: the stored AWS credential may not assume this role, or the role's trust policy does not allow session tags or source identity (AccessDenied).",
        "MalformedPolicyDocument" => "STS refused the session policy as malformed (MalformedPolicyDocument).",
        "PackedPolicyTooLarge" => "STS refused the session policy and tags as too large (PackedPolicyTooLarge).",
        "RegionDisabledException" or "RegionDisabled" => "STS is not activated in the configured region (RegionDisabled).",
        "ExpiredToken" or "ExpiredTokenException" => "STS refused the request: the stored AWS credential has expired (ExpiredToken).",
        "ValidationError" => "STS refused the request as invalid (ValidationError), e.g. a duration above the role's maximum session duration.",
        "Throttling" => "STS is throttling requests; try again later (Throttling).",
        _ => $"STS refused AssumeRole ({code}, HTTP {(int)status}).",
    };

    private static AmazonSecurityTokenServiceConfig BuildConfig(AwsStsOptions options)
    {
        var config = new AmazonSecurityTokenServiceConfig
        {
            Timeout = options.Timeout,
            MaxErrorRetry = options.MaxErrorRetry,
        };
        var region = string.IsNullOrWhiteSpace(options.Region) ? "us-east-1" : options.Region;
        if (!string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return config;
    }
}
