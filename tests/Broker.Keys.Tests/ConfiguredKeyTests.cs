using Broker.Core;
using Broker.Keys;

namespace Broker.Keys.Tests;

public sealed class ConfiguredKeyTests
{
    private const string Setting = "Broker:BootstrapAdminKey";

    [Theory]
    [InlineData("brk_test-bootstrap-admin-key-0123456789")]   // the test suites' own values
    [InlineData("brk_0123456789abcdef0123456789abcdef0123456789abcdef")] // brk_$(openssl rand -hex 24)
    [InlineData("brk_Xq3-9vK_pL2mN8rT4wY6zA")]                // 22 base64url characters
    public void WellFormedValues_AreAccepted(string value) =>
        Assert.Null(KeySecrets.ProblemWithConfiguredKey(value, Setting));

    [Fact]
    public void GeneratedSecrets_AreAccepted()
    {
        for (var i = 0; i < 100; i++)
        {
            Assert.Null(KeySecrets.ProblemWithConfiguredKey(KeySecrets.NewSecret(), Setting));
        }
    }

    [Theory]
    [InlineData("sk_live_0123456789abcdefghijklmnop", "must start with 'brk_'")]
    [InlineData("BRK_0123456789abcdefghijklmnop", "must start with 'brk_'")]
    [InlineData("brk_short-Value12", "at least 128 bits")]
    [InlineData("brk_Xq3-9vK_pL2mN8rT4wY6z", "at least 128 bits")]                 // 21 characters
    [InlineData("brk_0123456789abcdef0123456789abcde", "at least 128 bits")]       // 31 hex digits: 124 bits
    [InlineData("brk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too regular")]
    [InlineData("brk_abcabcabcabcabcabcabcabcabcabcabcabc", "too regular")]
    [InlineData("brk_Xq3-9vK_pL2mN8rT4wY6zA ", "only base64url characters")]    // a trailing space
    [InlineData("brk_Xq3-9vK_pL2mN8rT4wY6zA\n", "only base64url characters")]   // a trailing newline
    [InlineData("brk_Xq3+9vK/pL2mN8rT4wY6zA==", "only base64url characters")]   // base64, not base64url
    [InlineData("brk_Xq3-9vK_pL2mN8rT4wY6zAé", "only base64url characters")]
    public void IllFormedValues_AreRefused_WithAMessageThatNeverQuotesThem(string value, string expected)
    {
        var problem = KeySecrets.ProblemWithConfiguredKey(value, Setting);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.StartsWith(Setting, problem, StringComparison.Ordinal);
        Assert.DoesNotContain(value.Trim(), problem, StringComparison.Ordinal);
        if (value.Length > 12)
        {
            Assert.DoesNotContain(value.Trim()[4..12], problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TooLongValues_AreRefused() =>
        Assert.Contains("at most", KeySecrets.ProblemWithConfiguredKey("brk_" + string.Concat(Enumerable.Repeat(KeySecrets.NewSecret()[4..], 10)), Setting), StringComparison.Ordinal);

    [Fact]
    public void AnAgentVerifiesForItsOwnName_AndOtherNamesOnlyThroughVerifyAs()
    {
        var plain = new Caller("key_1", "support-agent", Role.Agent, "t", false, [], []);
        Assert.True(plain.MayVerifyAs("support-agent"));
        Assert.False(plain.MayVerifyAs("billing-agent"));
        Assert.False(plain.MayVerifyAs("support-agent-2"));

        var runtime = plain with { VerifyAsPatterns = ["billing-*"] };
        Assert.True(runtime.MayVerifyAs("billing-eu"));
        Assert.True(runtime.MayVerifyAs("support-agent"));
        Assert.False(runtime.MayVerifyAs("hr-agent"));
    }
}
