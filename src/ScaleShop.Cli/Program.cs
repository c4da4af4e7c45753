using System.CommandLine;
using ScaleShop.Cli.Capacity;
using ScaleShop.Cli.Load;
using ScaleShop.Cli.Resharding;
using ScaleShop.Cli.Seeding;

var root = new RootCommand("ScaleShop operations: seed data now; load, chaos, deploy and capacity commands join as they are built.");
root.Subcommands.Add(SeedCommand.Create());
root.Subcommands.Add(ReshardCommand.Create());
root.Subcommands.Add(LoadCommand.Create());
root.Subcommands.Add(CapacityCommand.Create());
return await root.Parse(args).InvokeAsync();
