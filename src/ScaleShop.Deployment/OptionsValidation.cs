using System.ComponentModel.DataAnnotations;

namespace ScaleShop.Deployment;

/// <summary>
/// The options classes carry DataAnnotations so a host validates them at start-up (<c>ValidateDataAnnotations</c>);
/// the decision functions check them again on every call because a caller may build them by hand, and a canary
/// judged with a significance of 5 or a negative minimum would roll out anything.
/// </summary>
internal static class OptionsValidation
{
    public static void ThrowIfInvalid(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
    }
}
