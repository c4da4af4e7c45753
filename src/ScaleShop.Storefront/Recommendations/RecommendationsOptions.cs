using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Recommendations;

/// <summary>Where the recommendations service is and how little the storefront waits for it (section <c>Recommendations</c>).</summary>
public sealed class RecommendationsOptions
{
    public const string SectionName = "Recommendations";

    [Required]
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:5095/");

    /// <summary>
    /// The whole call, after which the fallback answers. Tight on purpose: recommendations decorate a page;
    /// no page waits longer than this for them.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>The breaker opens when this share of calls fails within <see cref="BreakerSamplingDuration"/> (and at least <see cref="BreakerMinimumThroughput"/> calls were made).</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 100_000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the breaker stays open: every call takes the fallback at once, and the service gets room to recover.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bulkhead: calls in flight at most per instance; more take the fallback at once instead of queueing.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrentCalls { get; set; } = 64;

    /// <summary>
    /// How long an answer that is the same for everyone (no user: <c>related</c>, <c>popular</c>) is kept in this
    /// instance's memory: a product page's recommendations then cost the service one call per product per period,
    /// not one per view. Personal picks are never cached. Zero turns it off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SharedAnswerCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The feed's breaker opens after this many calls in a sampling period of which <see cref="BreakerFailureRatio"/> failed: feeds are few, a handful tells.</summary>
    [Range(2, 100_000)]
    public int FeedBreakerMinimumThroughput { get; set; } = 4;

    /// <summary>One delivery of confirmed orders to the service; past it the delivery is repeated later.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan FeedTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

[OptionsValidator]
public sealed partial class RecommendationsOptionsValidator : IValidateOptions<RecommendationsOptions>;
