using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using ScaleShop.Slo;

namespace ScaleShop.Storefront.Observability;

/// <summary>Where the objectives are and how finely this instance keeps its journeys' recent traffic (section <c>Slo</c>).</summary>
public sealed class SloOptions
{
    public const string SectionName = "Slo";

    /// <summary>The objectives file (<c>load/objectives.json</c>, copied beside the binary); relative to the binary's folder.</summary>
    [Required]
    public string ObjectivesPath { get; set; } = "objectives.json";

    /// <summary>
    /// The resolution of the rolling windows. Finer costs memory (one bucket per journey per step over the
    /// longest alert window: 3 days at 10 s is 26k buckets of 4 numbers) and evaluation time; coarser makes the
    /// 5-minute window jumpy.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan BucketWidth { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How far back the per-journey charts (throughput, errors, p50/p99) reach.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan SeriesSpan { get; set; } = TimeSpan.FromHours(1);

    public string ResolvedObjectivesPath => Path.IsPathRooted(ObjectivesPath) ? ObjectivesPath : Path.Combine(AppContext.BaseDirectory, ObjectivesPath);
}

[OptionsValidator]
public sealed partial class SloOptionsAttributesValidator : IValidateOptions<SloOptions>;

/// <summary>The attributes, then the objectives file itself: a service must not start on objectives it cannot read.</summary>
public sealed class SloOptionsValidator : IValidateOptions<SloOptions>
{
    public ValidateOptionsResult Validate(string? name, SloOptions options)
    {
        var attributes = new SloOptionsAttributesValidator().Validate(name, options);
        if (attributes.Failed)
        {
            return attributes;
        }

        try
        {
            SloObjectives.Load(options.ResolvedObjectivesPath);
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return ValidateOptionsResult.Fail($"{SloOptions.SectionName}:{nameof(SloOptions.ObjectivesPath)}: {e.Message}");
        }
    }
}
