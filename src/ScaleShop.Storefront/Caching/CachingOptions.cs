using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Caching;

/// <summary>
/// Cache lifetimes (section <c>Caching</c>). Catalog reads tolerate seconds of staleness (stock shown on a
/// listing is a hint; the order path checks the truth), so short lifetimes with jitter absorb the read load
/// without synchronised expiry storms.
/// </summary>
public sealed class CachingOptions
{
    public const string SectionName = "Caching";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ProductDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ListingDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SearchDuration { get; set; } = TimeSpan.FromMinutes(1);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CategoriesDuration { get; set; } = TimeSpan.FromMinutes(10);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PopularDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Random extra lifetime per entry, so entries written together do not expire together.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan JitterMaxDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an expired entry may still be served when the database fails (fail-safe).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan FailSafeMaxDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Redis as the second level and backplane (StackExchange.Redis configuration, e.g. <c>127.0.0.1:6379</c>),
    /// from <c>ConnectionStrings:redis</c>. Empty: each instance caches in memory only.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every key and of the backplane channel, so deployments sharing a Redis never see each other's entries.</summary>
    [Required]
    public string KeyPrefix { get; set; } = "scaleshop:";

    /// <summary>A Redis call slower than this is abandoned: the request goes on from memory and the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>After a Redis failure, how long to stop calling it before trying again (circuit breaker).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RedisCircuitBreakerDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After an admin changes a product, how long until the changing instance writes it to the cache once more
    /// (see ProductCacheReassertionWorker): longer than a cache load and its Redis write normally take.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan StaleSetGuardDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A refresh slower than this serves the stale value and completes in the background.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan FactorySoftTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}

[OptionsValidator]
public sealed partial class CachingOptionsValidator : IValidateOptions<CachingOptions>;
