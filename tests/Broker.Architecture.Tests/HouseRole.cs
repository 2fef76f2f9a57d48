namespace Broker.Architecture.Tests;

/// <summary>The place of a project in the house (docs: /work/shared/HOUSE.md "Principles").</summary>
public enum HouseRole
{
    /// <summary>The HTTP host: the only project that may see ASP.NET Core as a whole and choose the stores.</summary>
    Host,

    /// <summary>The vocabulary: no other Broker project, no ASP.NET Core.</summary>
    Core,

    /// <summary>A library of one capability: no host, no store, no ASP.NET Core (Data Protection in its own project aside).</summary>
    Capability,

    /// <summary>A store implementation (or what the stores share): no host, no ASP.NET Core.</summary>
    Store,

    /// <summary>A package of the SDK (<c>sdk/</c>): its own product, never a server assembly.</summary>
    Sdk,
}
