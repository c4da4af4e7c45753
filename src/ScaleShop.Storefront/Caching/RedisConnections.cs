using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Instrumentation.StackExchangeRedis;
using StackExchange.Redis;

namespace ScaleShop.Storefront.Caching;

/// <summary>
/// The Redis connections of this process (the second level's and the backplane's, each as before), made here
/// rather than inside the libraries so that every command is traced (OpenTelemetry's profiler-based Redis
/// instrumentation needs the multiplexer) and readiness can ping the server.
/// </summary>
public sealed class RedisConnections(StackExchangeRedisInstrumentation? instrumentation) : IHealthCheck, IDisposable
{
    public const string CheckName = "redis";

    private readonly List<(IConnectionMultiplexer Connection, IDisposable? Traced)> _connections = [];

    /// <summary>For <c>ConnectionMultiplexerFactory</c> of the cache and the backplane.</summary>
    public Func<Task<IConnectionMultiplexer>> Factory(ConfigurationOptions options) => async () =>
    {
        IConnectionMultiplexer connection = await ConnectionMultiplexer.ConnectAsync(options);
        lock (_connections)
        {
            _connections.Add((connection, instrumentation?.AddConnection(connection)));
        }

        return connection;
    };

    /// <summary>
    /// Degraded, never unhealthy, when Redis does not answer: the cache goes on from memory and the database, so
    /// the instance still serves everything (more slowly, and without the backplane's invalidations).
    /// </summary>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IConnectionMultiplexer? connection;
        lock (_connections)
        {
            connection = _connections.Select(c => c.Connection).LastOrDefault();
        }

        if (connection is null)
        {
            return HealthCheckResult.Healthy("No Redis connection opened yet.");
        }

        try
        {
            var latency = await connection.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"Redis answers in {latency.TotalMilliseconds:F1} ms.");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return HealthCheckResult.Degraded($"Redis does not answer ({exception.GetType().Name}): caching from memory only.", exception);
        }
    }

    public void Dispose()
    {
        lock (_connections)
        {
            foreach (var (_, traced) in _connections)
            {
                traced?.Dispose();
            }

            _connections.Clear();
        }
    }
}
