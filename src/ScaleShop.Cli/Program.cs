using System.CommandLine;
using ScaleShop.Cli.Anomalies;
using ScaleShop.Cli.Capacity;
using ScaleShop.Cli.Chaos;
using ScaleShop.Cli.Load;
using ScaleShop.Cli.Resharding;
using ScaleShop.Cli.Seeding;
using ScaleShop.Cli.Slo;

var root = new RootCommand("ScaleShop operations: seed, reshard, load, capacity, chaos, slo and anomalies (deploy joins later).");
root.Subcommands.Add(SeedCommand.Create());
root.Subcommands.Add(ReshardCommand.Create());
root.Subcommands.Add(LoadCommand.Create());
root.Subcommands.Add(CapacityCommand.Create());
root.Subcommands.Add(ChaosCommand.Create());
root.Subcommands.Add(SloCommand.Create());
root.Subcommands.Add(AnomaliesCommand.Create());
return await root.Parse(args).InvokeAsync();
