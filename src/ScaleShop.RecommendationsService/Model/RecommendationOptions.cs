using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.RecommendationsService.Model;

/// <summary>The model's store and limits (section <c>Recommendations</c>).</summary>
public sealed class RecommendationOptions
{
    public const string SectionName = "Recommendations";

    /// <summary>Folder of the service's own database (recommendations.db): derived data, rebuilt by replaying order events.</summary>
    [Required]
    public string DataDirectory { get; set; } = Path.Combine("data", "recommendations");

    /// <summary>Orders with more lines than this add no co-purchase pairs (pairs grow with the square of the lines).</summary>
    [Range(2, 100)]
    public int MaxLinesForPairs { get; set; } = 12;

    /// <summary>A user's most recently bought products that seed their personal picks.</summary>
    [Range(1, 1000)]
    public int HistoryProducts { get; set; } = 50;

    /// <summary>Candidates read from the co-purchase counts before they are re-ranked (popularity damping).</summary>
    [Range(10, 10_000)]
    public int CandidatePool { get; set; } = 200;

    /// <summary>Products in an answer when the caller does not say.</summary>
    [Range(1, 1000)]
    public int DefaultLimit { get; set; } = 10;

    /// <summary>Most products one answer may hold.</summary>
    [Range(1, 1000)]
    public int MaxLimit { get; set; } = 50;

    /// <summary>Most events one ingestion request may carry.</summary>
    [Range(1, 100_000)]
    public int MaxEventsPerBatch { get; set; } = 1000;

    /// <summary>How stale the in-memory popular list may be: it is read on most requests, and the counts move slowly.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan PopularRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Processed event ids older than this are forgotten: the storefront redelivers within minutes, not days.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan ProcessedEventRetention { get; set; } = TimeSpan.FromDays(7);
}

[OptionsValidator]
public sealed partial class RecommendationOptionsValidator : IValidateOptions<RecommendationOptions>;
