using System.CommandLine;

namespace Broker.Cli.Commands;

/// <summary><c>broker signing-keys rotate|retire</c> (bootstrap admin key only).</summary>
internal static class SigningKeysCommands
{
    public static Command Build(CliHost host)
    {
        var rotate = new Command("rotate", "Rotate the token signing key now; the previous public key stays in JWKS until its tokens expire.");
        BrokerCli.Handle(rotate, host, async c =>
        {
            using var client = c.Client();
            var rotation = await client.RotateSigningKeyAsync(c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(rotation, () => c.Out.Line($"Signing with {rotation.Kid} from now on."));

            return ExitCodes.Ok;
        });

        var kid = new Argument<string>("kid") { Description = "The signing key's id." };
        var retire = new Command("retire", "Retire a compromised signing key at once: it leaves JWKS and is never trusted again.") { kid };
        BrokerCli.Handle(retire, host, async c =>
        {
            using var client = c.Client();
            var retired = await client.RetireSigningKeyAsync(c.Get(kid)!, c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(retired, () => c.Out.Line($"Retired {retired.Kid}; signing with {retired.Current}."));

            return ExitCodes.Ok;
        });
        return new Command("signing-keys", "Token signing keys (bootstrap admin key only).") { rotate, retire };
    }
}
