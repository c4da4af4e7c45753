namespace ScaleShop.Anomalies.Detection;

/// <summary>The stages a detector runs; NAB figures for each combination are in docs/anomaly-detection.md.</summary>
[Flags]
public enum DetectorStages
{
    None = 0,
    SpectralResidual = 1,
    Baseline = 2,
    Likelihood = 4,
    Suppression = 8,
    Context = 16,
}

/// <summary>
/// One detector configuration for every series: nothing is tuned per series. SpectralScale/BaselineScale: the raw
/// score that maps to 0.5 before calibration. AlertThreshold: the anomaly score that alerts (0.5 = a Gaussian tail of
/// 1e-5 once calibrated). SuppressPoints: points after an alert during which the series cannot alert again.
/// </summary>
public sealed record DetectorOptions
{
    public static readonly DetectorOptions Default = new();

    // Spectral Residual is available but off: added to the baseline it lowered the NAB score (docs/anomaly-detection.md).
    // The context detector beside the baseline raised it (48.0 → 56.6 standard with SuppressPoints 150).
    public DetectorStages Stages { get; init; } = DetectorStages.Baseline | DetectorStages.Context | DetectorStages.Likelihood | DetectorStages.Suppression;

    public SpectralResidualOptions SpectralResidual { get; init; } = new();

    public BaselineOptions Baseline { get; init; } = new();

    public LikelihoodOptions Likelihood { get; init; } = new();

    public ContextOptions Context { get; init; } = new();

    public double SpectralScale { get; init; } = 3.0;

    public double BaselineScale { get; init; } = 10.0;

    public double AlertThreshold { get; init; } = 0.5;

    public int SuppressPoints { get; init; } = 150;

    internal double PeakDecay => Math.Pow(0.5, 1.0 / SuppressPoints);
}
