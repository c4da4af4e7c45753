using System.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace ScaleShop.Anomalies.Detection;

/// <summary>
/// Spectral Residual saliency (Ren et al., "Time-Series Anomaly Detection Service at Microsoft", KDD 2019), run
/// causally: at each point the last <see cref="SpectralResidualOptions.Window"/> values are extended by a few
/// extrapolated points (so the newest real point is not at the edge of the transform), the log amplitude spectrum
/// loses its locally averaged part, and what comes back from the inverse transform is the saliency map. The raw
/// score is how far the newest point's saliency stands above the mean saliency of the points before it.
/// </summary>
internal sealed class SpectralResidual(SpectralResidualOptions options)
{
    private const double Epsilon = 1e-8;

    private readonly SpectralResidualOptions _options = options;
    private readonly RingBuffer _values = new(options.Window);

    // Scratch for the transform is shared by every series on a thread: per-series state stays one ring of values.
    [ThreadStatic]
    private static Complex[]? t_spectrum;

    [ThreadStatic]
    private static double[]? t_scratch;

    public int BufferLength => _values.Capacity;

    public double Update(double value)
    {
        _values.Add(value);
        if (_values.Count < _options.ScoreWindow + _options.Extension + 1)
        {
            return 0;
        }

        var n = _values.Count;
        var length = n + _options.Extension;
        var spectrum = t_spectrum is { Length: var have } && have == length ? t_spectrum : t_spectrum = new Complex[length];
        var scratch = t_scratch is { Length: var size } && size >= length ? t_scratch : t_scratch = new double[Math.Max(length, 1024)];

        for (var i = 0; i < n; i++)
        {
            scratch[i] = _values[i];
        }

        // Ren et al. eq. 5-6: continue the series with the mean gradient of the newest point over the m before it.
        var m = _options.Extension;
        var gradient = 0.0;
        for (var i = 1; i <= m; i++)
        {
            gradient += (scratch[n - 1] - scratch[n - 1 - i]) / i;
        }

        var next = scratch[n - m] + (gradient / m * m);
        for (var i = 0; i < length; i++)
        {
            spectrum[i] = new Complex(i < n ? scratch[i] : next, 0);
        }

        Fourier.Forward(spectrum, FourierOptions.Matlab);

        // log amplitude minus its moving average (q points), with the phase kept.
        for (var i = 0; i < length; i++)
        {
            scratch[i] = Math.Log(spectrum[i].Magnitude + Epsilon);
        }

        var half = _options.AverageFilter / 2;
        for (var i = 0; i < length; i++)
        {
            double sum = 0;
            var count = 0;
            for (var j = Math.Max(0, i - half); j <= Math.Min(length - 1, i + half); j++)
            {
                sum += scratch[j];
                count++;
            }

            var residual = scratch[i] - (sum / count);
            var magnitude = spectrum[i].Magnitude;
            var phase = magnitude > Epsilon ? spectrum[i] / magnitude : Complex.One;
            spectrum[i] = phase * Math.Exp(residual);
        }

        Fourier.Inverse(spectrum, FourierOptions.Matlab);

        var newest = spectrum[n - 1].Magnitude;
        double mean = 0;
        for (var i = n - 1 - _options.ScoreWindow; i < n - 1; i++)
        {
            mean += spectrum[i].Magnitude;
        }

        mean /= _options.ScoreWindow;
        return mean > Epsilon ? Math.Max(0, (newest - mean) / mean) : 0;
    }
}

/// <summary>Ren et al.'s parameters: the window the transform sees, extrapolated points, the spectral filter and the score window.</summary>
public sealed record SpectralResidualOptions(int Window = 59, int Extension = 5, int AverageFilter = 3, int ScoreWindow = 21);
