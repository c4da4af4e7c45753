using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Data.Seeding;

/// <summary>What a new, empty data folder is filled with on first start (section <c>Seed</c>).</summary>
public sealed class SeedOptions
{
    public const string SectionName = "Seed";

    /// <summary>Seed a demo catalog and users when the catalog is empty.</summary>
    public bool OnFirstStart { get; set; } = true;

    [Range(1, 10_000_000)]
    public long Products { get; set; } = 10_000;

    [Range(1, 50)]
    public int Categories { get; set; } = 50;

    [Range(0, 100_000_000)]
    public long Users { get; set; } = 1_000;
}

[OptionsValidator]
public sealed partial class SeedOptionsValidator : IValidateOptions<SeedOptions>;
