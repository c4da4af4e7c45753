using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaleShop.Cli.Hosting;
using ScaleShop.Data.Migrations;
using ScaleShop.Data.Sharding;
using ScaleShop.Data.Sharding.Resharding;
using Spectre.Console;

namespace ScaleShop.Cli.Resharding;

/// <summary>
/// <c>scaleshop reshard status | move --logical-shard 5 --to shard2 | abort --logical-shard 5</c>: online
/// resharding against the same databases the storefront uses, while it runs. Moving back is another move.
/// </summary>
public static class ReshardCommand
{
    public static Command Create()
    {
        var command = new Command("reshard", "Show the shard map, or move a logical shard to another physical database while the storefront takes traffic.");
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Move());
        command.Subcommands.Add(Abort());
        return command;
    }

    private static Command Status()
    {
        var dataDirectory = DataServices.DataDirectoryOption();
        var command = new Command("status", "The current shard map, its history and any move in progress.") { dataDirectory };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = DataServices.Build(parse.GetValue(dataDirectory));
            await services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(cancellationToken);
            var store = services.GetRequiredService<ShardMapStore>();
            var (map, moves) = await store.ReadAsync(cancellationToken);
            var layout = new Table().AddColumns("physical database", "logical shards");
            foreach (var (name, index) in map.PhysicalDatabases.Select((n, i) => (n, i)))
            {
                layout.AddRow(name, Ranges(Enumerable.Range(0, map.LogicalShardCount).Where(l => map.Assignments[l] == index)));
            }

            AnsiConsole.MarkupLine($"Shard map version [bold]{map.Version}[/]: {map.LogicalShardCount} logical shards on {map.PhysicalDatabases.Count} physical databases");
            AnsiConsole.Write(layout);
            foreach (var move in moves)
            {
                AnsiConsole.MarkupLine($"[yellow]Moving[/] logical shard {move.LogicalShard}: {move.Source} -> {move.Target}, {move.State} since {move.StartedAt:u}");
            }

            foreach (var (version, reason, createdAt) in await store.HistoryAsync(cancellationToken))
            {
                AnsiConsole.MarkupLine($"  v{version}  {createdAt:u}  {Markup.Escape(reason)}");
            }

            return 0;
        });
        return command;
    }

    private static Command Move()
    {
        var dataDirectory = DataServices.DataDirectoryOption();
        var logicalShard = new Option<int>("--logical-shard") { Description = "The logical shard to move.", Required = true };
        var target = new Option<string>("--to") { Description = "The physical database to move it to (on PostgreSQL: configured under Storage:Postgres:Shards).", Required = true };
        var keepSource = new Option<bool>("--keep-source") { Description = "Leave the moved rows on the source (fenced) instead of deleting them after the retention." };
        var command = new Command("move", "Copy, catch up, pause the shard's writes briefly, verify, flip the map, clean up.") { logicalShard, target, keepSource, dataDirectory };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = DataServices.Build(parse.GetValue(dataDirectory), LogLevel.Information);
            await services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(cancellationToken);
            var mover = services.GetRequiredService<ShardMover>();
            try
            {
                var report = await mover.MoveAsync(parse.GetValue(logicalShard), parse.GetValue(target)!, parse.GetValue(keepSource),
                    new Progress<string>(step => AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss.fff}[/] {Markup.Escape(step)}")), cancellationToken);
                var tables = new Table().AddColumns("table", "rows copied", "rows verified", "checksum");
                foreach (var (table, sum) in report.Verified)
                {
                    tables.AddRow(table, report.RowsCopied[table].ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                        sum.Rows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), sum.Checksum.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
                }

                AnsiConsole.Write(tables);
                AnsiConsole.MarkupLine($"Moved logical shard [bold]{report.LogicalShard}[/] {report.Source} -> {report.Target}: map v{report.FromVersion} -> v{report.ToVersion}, " +
                    $"{report.ChangesCaughtUp:N0} changes caught up in {report.CatchUpRounds} rounds, writes paused [bold]{report.WritePause.TotalMilliseconds:F0} ms[/], total {report.Elapsed.TotalSeconds:F1} s.");
                return 0;
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or ShardMoveVerificationException)
            {
                AnsiConsole.MarkupLine($"[red]Not moved:[/] {Markup.Escape(exception.Message)}");
                return 1;
            }
        });
        return command;
    }

    private static Command Abort()
    {
        var dataDirectory = DataServices.DataDirectoryOption();
        var logicalShard = new Option<int>("--logical-shard") { Description = "The logical shard whose move to abandon.", Required = true };
        var command = new Command("abort", "Abandon a move whose mover died: the source takes writes again, the target is emptied.") { logicalShard, dataDirectory };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = DataServices.Build(parse.GetValue(dataDirectory), LogLevel.Information);
            await services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(cancellationToken);
            var aborted = await services.GetRequiredService<ShardMover>().AbortAsync(parse.GetValue(logicalShard), cancellationToken);
            AnsiConsole.MarkupLine(aborted ? "Move abandoned." : "No move of that logical shard is in progress.");
            return aborted ? 0 : 1;
        });
        return command;
    }

    private static string Ranges(IEnumerable<int> shards)
    {
        var parts = new List<string>();
        foreach (var group in shards.Select((s, i) => (s, i)).GroupBy(p => p.s - p.i))
        {
            var first = group.First().s;
            var last = group.Last().s;
            parts.Add(first == last ? $"{first}" : $"{first}-{last}");
        }

        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }
}
