using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Observability;

/// <summary>The operations dashboard at <c>/ops</c> (section <c>OpsDashboard</c>).</summary>
public sealed class OpsDashboardOptions
{
    public const string SectionName = "OpsDashboard";

    /// <summary>How often the page asks for new figures: often enough to watch an incident unfold, rarely enough that a few open pages cost nothing.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How much journey history the charts show (the page passes it to <c>/api/ops/journeys</c> as minutes).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "06:00:00")]
    public TimeSpan JourneyWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a database may take to answer the dashboard's probe before it is shown as down. Short: a hung
    /// server must not hold the whole dashboard, which is read precisely when something is wrong.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);
}

[OptionsValidator]
public sealed partial class OpsDashboardOptionsAttributesValidator : IValidateOptions<OpsDashboardOptions>;

/// <summary>The attributes, then that the charts' window is one the journey series keep (<c>Slo:SeriesSpan</c>), in whole minutes as the page asks for it.</summary>
public sealed class OpsDashboardOptionsValidator(IOptions<SloOptions> slo) : IValidateOptions<OpsDashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, OpsDashboardOptions options)
    {
        var attributes = new OpsDashboardOptionsAttributesValidator().Validate(name, options);
        if (attributes.Failed)
        {
            return attributes;
        }

        var window = $"{OpsDashboardOptions.SectionName}:{nameof(OpsDashboardOptions.JourneyWindow)}";
        if (options.JourneyWindow.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            return ValidateOptionsResult.Fail($"{window} must be whole minutes.");
        }

        return options.JourneyWindow > slo.Value.SeriesSpan
            ? ValidateOptionsResult.Fail($"{window} ({options.JourneyWindow}) is longer than the journey history kept, {SloOptions.SectionName}:{nameof(SloOptions.SeriesSpan)} ({slo.Value.SeriesSpan}).")
            : ValidateOptionsResult.Success;
    }
}
