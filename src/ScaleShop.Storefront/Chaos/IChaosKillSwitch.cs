namespace ScaleShop.Storefront.Chaos;

/// <summary>Something that may forbid new fault injection (an open incident): the reason, or null to allow it.</summary>
public interface IChaosKillSwitch
{
    Task<string?> ReasonToRefuseAsync(CancellationToken cancellationToken);
}
