namespace ScaleShop.Load.Tests;

public sealed class ZipfSamplerTests
{
    [Fact]
    public void Draws_follow_the_zipf_law_and_the_most_popular_rank_has_its_share()
    {
        const int items = 1_000;
        var sampler = new ZipfSampler(items, exponent: 1.0);
        var random = new Random(7);
        var counts = new int[items + 1];
        const int draws = 200_000;
        for (var i = 0; i < draws; i++)
        {
            counts[sampler.NextRank(random)]++;
        }

        // P(rank k) = (1/k) / H(1000), H(1000) = 7.4855.
        var harmonic = Enumerable.Range(1, items).Sum(k => 1.0 / k);
        foreach (var rank in new[] { 1, 2, 10, 100 })
        {
            var expected = draws / rank / harmonic;
            var fiveSigma = 5 * Math.Sqrt(expected);
            Assert.InRange(counts[rank], expected - fiveSigma, expected + fiveSigma);
        }

        Assert.Equal(1.0 / harmonic, sampler.ShareOfTop(1), 6);
        Assert.InRange(sampler.ShareOfTop(100), 0.69, 0.70); // the top 10% of products take ~70% of views
    }

    [Fact]
    public void Ranks_are_scattered_over_all_ids_one_to_one()
    {
        var sampler = new ZipfSampler(10_007, exponent: 1.1);
        var ids = Enumerable.Range(1, 10_007).Select(rank => sampler.IdOfRank(rank)).ToList();
        Assert.Equal(10_007, ids.Distinct().Count());
        Assert.All(ids, id => Assert.InRange(id, 1, 10_007));
        Assert.NotEqual(1, sampler.IdOfRank(2) - sampler.IdOfRank(1)); // the hottest products are not neighbours
    }

    [Fact]
    public void Exponent_zero_is_uniform()
    {
        var sampler = new ZipfSampler(10, exponent: 0);
        Assert.Equal(0.5, sampler.ShareOfTop(5), 9);
    }
}
