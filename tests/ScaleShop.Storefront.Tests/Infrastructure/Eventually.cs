namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>Waiting for what happens asynchronously (workers, projections, breakers, metrics): poll, never sleep a guess.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Reads until <paramref name="condition"/> holds and returns that value; fails with the last value seen after <paramref name="timeout"/>.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what = "Condition")
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"{what} not met in {timeout}; last value: {value}");
            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }
    }
}
