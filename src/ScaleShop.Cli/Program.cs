using System.CommandLine;
using ScaleShop.Cli.Anomalies;
using ScaleShop.Cli.Capacity;
using ScaleShop.Cli.Chaos;
using ScaleShop.Cli.Cluster;
using ScaleShop.Cli.Incidents;
using ScaleShop.Cli.Load;
using ScaleShop.Cli.Resharding;
using ScaleShop.Cli.Seeding;
using ScaleShop.Cli.Slo;

var root = new RootCommand("ScaleShop operations: seed, reshard, load, capacity, chaos, slo, anomalies incidents, and a local cluster (cluster up|status|down|publish, deploy, rollback, scale, autoscale).");
root.Subcommands.Add(SeedCommand.Create());
root.Subcommands.Add(ReshardCommand.Create());
root.Subcommands.Add(LoadCommand.Create());
root.Subcommands.Add(CapacityCommand.Create());
root.Subcommands.Add(ChaosCommand.Create());
root.Subcommands.Add(SloCommand.Create());
root.Subcommands.Add(AnomaliesCommand.Create());
root.Subcommands.Add(IncidentsCommand.Create());
foreach (var command in ClusterCommand.Create())
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
