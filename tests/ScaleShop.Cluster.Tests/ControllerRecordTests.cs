using ScaleShop.Cluster.Hosting;

namespace ScaleShop.Cluster.Tests;

/// <summary>
/// The CLI decides from controller.json whether a controller runs, and then sends it a shutdown or kills it: a pid
/// alone is not enough, because a killed controller's pid may belong to another process by then.
/// </summary>
public sealed class ControllerRecordTests
{
    private static readonly Uri Local = new("http://127.0.0.1:1/");

    [Fact]
    public void A_record_is_running_only_while_its_pid_is_the_process_that_started_at_the_recorded_time()
    {
        var self = ControllerRecord.OfThisProcess(Local, Local, Local);
        Assert.True(self.IsRunning());

        // Same pid, another start time: the pid was reused by a process that is not the controller.
        Assert.False((self with { StartedAt = self.StartedAt.AddMinutes(-5) }).IsRunning());
        Assert.False((self with { Pid = int.MaxValue }).IsRunning());
    }

    [Fact]
    public async Task A_record_is_written_whole_and_read_back_as_written()
    {
        var state = Path.Combine(Path.GetTempPath(), "scaleshop-cluster-tests", "record-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(state);
        try
        {
            var record = ControllerRecord.OfThisProcess(Local, new Uri("http://127.0.0.1:2/"), new Uri("http://127.0.0.1:3/"));
            await record.WriteAsync(state, TestContext.Current.CancellationToken);
            await (record with { Pid = 1 }).WriteAsync(state, TestContext.Current.CancellationToken); // replaces it

            Assert.Equal(record with { Pid = 1 }, ControllerRecord.Read(state));
            Assert.Equal([ControllerRecord.FileName], Directory.GetFiles(state).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
