using ScaleShop.Anomalies.Detection;
using ScaleShop.Anomalies.Nab;

namespace ScaleShop.Anomalies.Tests;

/// <summary>
/// Issue 8's target as a test: the default detector, streamed causally over the NAB folder, scores above the best
/// published detectors with open code (Numenta HTM and CAD OSE), on the standard profile, each scored by the same
/// scorer from its published output. The run is deterministic (no timing), so this fails only if the detector changes.
/// </summary>
public sealed class NabBenchmarkTests
{
    private static readonly IReadOnlyList<NabSeries> Corpus = NabCorpus.Load(NabFolder.Path);
    private static readonly IReadOnlyList<NabProfile> Profiles = NabCorpus.LoadProfiles(NabFolder.Path);

    [Theory]
    [InlineData("numenta")]
    [InlineData("contextOSE")]
    public void The_default_detector_scores_above_a_published_detector_on_the_standard_profile(string published)
    {
        var ours = Standard(NabRun.Detect(Corpus, DetectorOptions.Default).Scores);
        var theirs = Standard(Corpus.Select(series => NabCorpus.ReadScores(Path.Combine(NabFolder.Path, "fixtures", published, series.Name))).ToList());

        Assert.True(ours.NormalizedScore > theirs.NormalizedScore,
            $"ScaleShop {ours.NormalizedScore:F2} ({ours.Detected}/{ours.Windows}, {ours.FalsePositives} false positives) against {published} {theirs.NormalizedScore:F2}");
    }

    private static NabScore Standard(IReadOnlyList<double[]> scores) =>
        NabScorer.Score(Corpus, scores, Profiles).Single(score => score.Profile.Name == "standard");
}
