namespace Broker.Core.Grants;

/// <summary>Whether an agent key may name any user (<see cref="Any"/>, back-office agents) or only proven ones (<see cref="Proven"/>, the default).</summary>
public static class SubjectsGrant
{
    public const string Proven = "proven";
    public const string Any = "any";

    public static bool IsKnown(string? value) => value is Proven or Any;
}
