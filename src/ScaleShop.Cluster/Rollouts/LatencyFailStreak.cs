namespace ScaleShop.Cluster.Rollouts;

/// <summary>
/// A canary failed on latency alone is judged once more before it is rolled back: a p99 over a few dozen requests on
/// shared cores can be one slow burst, while a slow release fails every verdict. <c>needed</c> verdicts in a row decide
/// (<see cref="RolloutOptions.LatencyFailConfirmations"/>); any other verdict ends the streak. Errors and the error
/// budget are not counted here: they act at once.
/// </summary>
internal sealed class LatencyFailStreak(int needed)
{
    public int InARow { get; private set; }

    /// <summary>Takes the next verdict; true when it must wait for the next one instead of deciding.</summary>
    public bool Defers(bool failsOnLatencyAlone)
    {
        InARow = failsOnLatencyAlone ? InARow + 1 : 0;
        return InARow > 0 && InARow < needed;
    }
}
