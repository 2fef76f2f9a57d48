namespace Broker.Server.Hosting;

/// <summary>Ready when the key material checked out at start and the store answers now.</summary>
public sealed class Readiness(IStoreHealth store)
{
    private volatile string? _keyMaterialProblem = "The broker has not finished starting.";

    public void KeyMaterialReady() => _keyMaterialProblem = null;

    public void KeyMaterialFailed(string problem) => _keyMaterialProblem = problem;

    public async Task<(bool Ready, string? Problem)> CheckAsync(CancellationToken cancellationToken)
    {
        if (_keyMaterialProblem is { } problem)
        {
            return (false, problem);
        }

        return await store.IsHealthyAsync(cancellationToken) ? (true, null) : (false, "The store does not answer.");
    }
}
