using System.Text;

namespace Broker.Client.Tests;

/// <summary>The redactor on its own: no broker involved.</summary>
public sealed class SecretRedactorTests
{
    [Fact]
    public void Redactor_LongestMatchWins_AndOverlapsLeakNothing()
    {
        var redactor = new SecretRedactor();
        redactor.Add("short", "password");
        redactor.Add("long", "password123456");
        redactor.Add("overlap", "3456789abcdef");
        Assert.Equal("a [REDACTED:long] b", redactor.Redact("a password123456 b"));
        Assert.Equal("a [REDACTED:short]12 b", redactor.Redact("a password12 b"));
        Assert.Equal("x[REDACTED:long]x", redactor.Redact("xpassword123456789abcdefx"));
    }

    [Fact]
    public void Redactor_MinimumLength_LeavesShortValuesAlone()
    {
        var redactor = new SecretRedactor();
        redactor.Add("pin", "1234567");
        Assert.Equal("1234567", redactor.Redact("1234567"));
        redactor.MinimumLength = 4;
        Assert.Equal("[REDACTED:pin]", redactor.Redact("1234567"));
    }

    [Fact]
    public void Redactor_ManySecrets_MatchesANaiveReplacement()
    {
        var redactor = new SecretRedactor();
        var random = new Random(42);
        var secrets = Enumerable.Range(0, 1000).Select(i => $"sk-{i:D4}-{random.NextInt64():x16}").ToArray();
        for (var i = 0; i < secrets.Length; i++)
        {
            redactor.Add("s" + i, secrets[i]);
        }

        var sb = new StringBuilder();
        var expected = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            var filler = $"line {i} lorem ipsum dolor sit amet ";
            sb.Append(filler);
            expected.Append(filler);
            if (i % 7 == 0)
            {
                var k = random.Next(secrets.Length);
                sb.Append(secrets[k]).Append('\n');
                expected.Append("[REDACTED:s").Append(k).Append("]\n");
            }
        }

        Assert.Equal(expected.ToString(), redactor.Redact(sb.ToString()));
    }
}
