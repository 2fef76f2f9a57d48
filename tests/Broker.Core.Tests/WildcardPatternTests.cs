using Broker.Core;

namespace Broker.Core.Tests;

public sealed class WildcardPatternTests
{
    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("openai_*", "openai_key", true)]
    [InlineData("openai_*", "openai_", true)]
    [InlineData("openai_*", "anthropic_key", false)]
    [InlineData("*_key", "openai_key", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    [InlineData("a.b", "axb", false)] // no regex semantics
    [InlineData("(a+)+$", "(a+)+$", true)]
    [InlineData("[a-z]*", "abc", false)]
    public void IsMatch(string pattern, string text, bool expected) => Assert.Equal(expected, WildcardPattern.IsMatch(pattern, text));

    [Fact]
    public void PathologicalPattern_HasNoCatastrophicBacktracking()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", 60)) + "b";
        var text = new string('a', 128);
        var count = 0;
        for (var i = 0; i < 100; i++)
        {
            count += WildcardPattern.IsMatch(pattern, text) ? 1 : 0;
        }

        Assert.Equal(0, count); // completes: the algorithm is O(pattern × text), no exponential blow-up
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("openai_key.v2-x", true)]
    [InlineData("", false)]
    [InlineData("A", false)]
    [InlineData("_a", false)]
    [InlineData("a/b", false)]
    public void CredentialNames(string name, bool valid) => Assert.Equal(valid, Names.IsValidCredentialName(name));

    [Fact]
    public void Roles_AdminIncludesResponderOnly()
    {
        Assert.True(Role.Admin.Satisfies(Role.Responder));
        Assert.False(Role.Admin.Satisfies(Role.Agent));
        Assert.False(Role.Responder.Satisfies(Role.Admin));
        Assert.False(Role.Agent.Satisfies(Role.Caller));
    }
}
