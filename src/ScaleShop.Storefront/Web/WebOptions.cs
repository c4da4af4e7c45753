using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Web;

/// <summary>The web storefront (section <c>Web</c>): page sizes, the sign-in cookie, and output caching of anonymous pages.</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    /// <summary>Products per category or search page.</summary>
    [Range(1, 100)]
    public int PageSize { get; set; } = 24;

    /// <summary>Best-sellers on the home page.</summary>
    [Range(1, 50)]
    public int BestSellers { get; set; } = 8;

    /// <summary>"Customers also bought" products on a product page.</summary>
    [Range(1, 20)]
    public int AlsoBought { get; set; } = 4;

    /// <summary>Orders per page of the order history.</summary>
    [Range(1, 100)]
    public int OrdersPageSize { get; set; } = 20;

    /// <summary>How long a sign-in lasts without a visit (sliding).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a browser keeps the read-your-writes token of its last write: longer than replicas may lag, so a
    /// page after a write never reads from a replica that has not replayed it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ConsistencyCookieLifetime { get; set; } = TimeSpan.FromMinutes(1);

    [ValidateObjectMembers]
    public OutputCachingOptions OutputCaching { get; set; } = new();

    public sealed class OutputCachingOptions
    {
        /// <summary>Off only to measure what it buys (docs/performance.md).</summary>
        public bool Enabled { get; set; } = true;

        /// <summary>
        /// How long an anonymous page is served from the cache. An admin's change evicts the pages that show the
        /// product at once (by tag, on every instance); stock bought by orders is not an eviction, so a page's
        /// stock figure may be this old (checkout checks the real stock).
        /// </summary>
        [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
        public TimeSpan PageDuration { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// A product page rendered without its recommendations (the service was slow or down) is kept only this
        /// long, so the section is back soon after the service is.
        /// </summary>
        [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
        public TimeSpan DegradedPageDuration { get; set; } = TimeSpan.FromSeconds(5);
    }
}

[OptionsValidator]
public sealed partial class WebOptionsValidator : IValidateOptions<WebOptions>;
