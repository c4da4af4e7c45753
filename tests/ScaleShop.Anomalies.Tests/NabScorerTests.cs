using System.Globalization;
using ScaleShop.Anomalies.Nab;

namespace ScaleShop.Anomalies.Tests;

/// <summary>
/// The scorer against the published outputs of three NAB detectors: the threshold, raw score and normalised score
/// per profile must be those the NAB folder's README lists, to the decimals it prints.
/// </summary>
public sealed class NabScorerTests
{
    private static readonly IReadOnlyList<NabSeries> Corpus = NabCorpus.Load(NabFolder.Path);
    private static readonly IReadOnlyList<NabProfile> Profiles = NabCorpus.LoadProfiles(NabFolder.Path);

    public static TheoryData<string, string, double, double, double> Expected => new()
    {
        { "windowedGaussian", "standard", 1.0000, -10.977, 41.42 },
        { "windowedGaussian", "reward_low_FP_rate", 1.0000, -30.110, 26.48 },
        { "windowedGaussian", "reward_low_FN_rate", 1.0000, -34.977, 48.45 },
        { "numenta", "standard", 0.5431, 32.664, 75.52 },
        { "numenta", "reward_low_FP_rate", 0.5431, 26.473, 70.68 },
        { "numenta", "reward_low_FN_rate", 0.5431, 23.664, 78.99 },
        { "contextOSE", "standard", 0.7664, 33.142, 75.89 },
        { "contextOSE", "reward_low_FP_rate", 0.7664, 28.684, 72.41 },
        { "contextOSE", "reward_low_FN_rate", 0.7664, 24.142, 79.24 },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void A_published_detector_scores_what_the_README_lists(string detector, string profile, double threshold, double raw, double normalized)
    {
        var scores = Corpus.Select(series => NabCorpus.ReadScores(System.IO.Path.Combine(NabFolder.Path, "fixtures", detector, series.Name))).ToList();

        var result = NabScorer.Score(Corpus, scores, Profiles).Single(score => score.Profile.Name == profile);

        Assert.Equal(threshold.ToString("F4", CultureInfo.InvariantCulture), result.Threshold.ToString("F4", CultureInfo.InvariantCulture));
        Assert.Equal(raw.ToString("F3", CultureInfo.InvariantCulture), result.RawScore.ToString("F3", CultureInfo.InvariantCulture));
        Assert.Equal(normalized.ToString("F2", CultureInfo.InvariantCulture), result.NormalizedScore.ToString("F2", CultureInfo.InvariantCulture));
        Assert.Equal(64, result.Windows);
    }

    [Fact]
    public void The_corpus_holds_the_files_and_windows_the_README_describes()
    {
        Assert.Equal(41, Corpus.Count);
        Assert.Equal(64, Corpus.Sum(series => series.Windows.Count));
    }

    [Fact]
    public void A_detector_that_flags_only_each_window_start_scores_100_and_one_that_flags_nothing_scores_0()
    {
        var perfect = Corpus.Select(series =>
        {
            var scores = new double[series.Timestamps.Count];
            foreach (var window in series.Windows)
            {
                scores[series.Timestamps.ToList().IndexOf(window.Start)] = 1.0;
            }

            return scores;
        }).ToList();
        var silent = Corpus.Select(series => new double[series.Timestamps.Count]).ToList();

        Assert.All(NabScorer.Score(Corpus, perfect, Profiles), score => Assert.Equal(100.0, score.NormalizedScore, 9));
        Assert.All(NabScorer.Score(Corpus, silent, Profiles), score => Assert.Equal(0.0, score.NormalizedScore, 9));
    }
}
