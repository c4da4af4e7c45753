using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Common;

/// <summary>Limits every endpoint shares (section <c>Api</c>).</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    [Range(1, 1000)]
    public int DefaultPageSize { get; set; } = 20;

    [Range(1, 1000)]
    public int MaxPageSize { get; set; } = 100;

    [Range(1024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    [Range(1, 10_000)]
    public int SearchQueryMaxLength { get; set; } = 200;
}

[OptionsValidator]
public sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;
