using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Migrations;

namespace ScaleShop.Cluster.Tests;

/// <summary>The migration check on the repository's real SQLite scripts, and on scripts written as a release would ship them.</summary>
public sealed class ExpandContractCheckTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "scaleshop-migration-check", Guid.NewGuid().ToString("N"));

    private static string RepositoryScripts => Path.Combine(RepositoryRoot.Find(), "src", "ScaleShop.Data", "Migrations");

    [Fact]
    public void The_repository_own_contract_step_0007_would_have_been_refused_while_0006_ran()
    {
        // 0007 replaced the FTS triggers with a projection and dropped the old search table: a contract step.
        var running = Scripts("running", name => string.CompareOrdinal(Path.GetFileName(name), "0007") < 0);
        var candidate = Scripts("candidate", _ => true);

        var result = ExpandContractCheck.Check("v6", MigrationScripts.Read(running), "v7", MigrationScripts.Read(candidate), ["v6"]);

        Assert.False(result.Allowed);
        Assert.Contains(result.Refused, f => f.Script == "Sqlite/Catalog/0007_search_projection.sql" && f.Problem.Contains("drops a table", StringComparison.Ordinal));
        Assert.Contains(result.Refused, f => f.Script == "Postgres/Catalog/0007_search_projection.sql" && f.Problem.Contains("drops a column", StringComparison.Ordinal));
    }

    [Fact]
    public void Today_scripts_against_themselves_need_nothing()
    {
        var scripts = MigrationScripts.Read(Scripts("same", _ => true));
        var result = ExpandContractCheck.Check("v1", scripts, "v2", scripts, ["v1"]);
        Assert.True(result.Allowed, result.Summary);
        Assert.Empty(result.NewScripts);
    }

    [Theory]
    [InlineData("ALTER TABLE products ADD COLUMN subtitle TEXT;", true)]
    [InlineData("ALTER TABLE products ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;", true)]
    [InlineData("CREATE TABLE IF NOT EXISTS wishlists (user_id INTEGER NOT NULL, product_id INTEGER NOT NULL);", true)]
    [InlineData("CREATE INDEX IF NOT EXISTS ix_products_price ON products (price); -- DROP TABLE in a comment is not a drop", true)]
    [InlineData("ALTER TABLE products ADD COLUMN rating INTEGER NOT NULL;", false)]
    [InlineData("ALTER TABLE products DROP COLUMN description;", false)]
    [InlineData("DROP TABLE carts;", false)]
    [InlineData("ALTER TABLE products RENAME COLUMN name TO title;", false)]
    [InlineData("ALTER TABLE products RENAME TO items;", false)]
    [InlineData("ALTER TABLE products ALTER COLUMN price TYPE numeric(12,2);", false)]
    [InlineData("ALTER TABLE products ALTER COLUMN description SET NOT NULL;", false)]
    public void A_new_script_is_judged_by_what_it_does_to_the_running_version(string sql, bool allowed)
    {
        var running = Scripts("running", _ => true);
        var candidate = Scripts("candidate", _ => true);
        File.WriteAllText(Path.Combine(candidate, "Sqlite", "Catalog", "0100_change.sql"), sql);

        var result = ExpandContractCheck.Check("v1", MigrationScripts.Read(running), "v2", MigrationScripts.Read(candidate), ["v1"]);

        Assert.True(result.Allowed == allowed, result.Summary);
        Assert.Equal(["Sqlite/Catalog/0100_change.sql"], result.NewScripts);
    }

    [Fact]
    public void A_contract_step_runs_only_once_the_version_it_names_is_the_one_running()
    {
        var running = Scripts("running", _ => true);
        var candidate = Scripts("candidate", _ => true);
        File.WriteAllText(Path.Combine(candidate, "Sqlite", "Catalog", "0100_drop_legacy.sql"),
            "-- contract: v2 (v2 stopped reading products.legacy_code)\nALTER TABLE products DROP COLUMN legacy_code;\n");

        var whileV1Runs = ExpandContractCheck.Check("v1", MigrationScripts.Read(running), "v3", MigrationScripts.Read(candidate), ["v1"]);
        var onceV2Runs = ExpandContractCheck.Check("v2", MigrationScripts.Read(running), "v3", MigrationScripts.Read(candidate), ["v1", "v2"]);
        var afterV2 = ExpandContractCheck.Check("v2b", MigrationScripts.Read(running), "v3", MigrationScripts.Read(candidate), ["v1", "v2", "v2b"]);

        Assert.False(whileV1Runs.Allowed);
        Assert.Contains("safe after v2", whileV1Runs.Summary, StringComparison.Ordinal);
        Assert.True(onceV2Runs.Allowed, onceV2Runs.Summary);
        Assert.True(afterV2.Allowed, afterV2.Summary);
    }

    [Fact]
    public void A_shipped_script_that_changed_is_refused()
    {
        var running = Scripts("running", _ => true);
        var candidate = Scripts("candidate", _ => true);
        File.AppendAllText(Path.Combine(candidate, "Sqlite", "Shard", "0001_user_data.sql"), "\nCREATE INDEX ix_extra ON carts (user_id);\n");

        var result = ExpandContractCheck.Check("v1", MigrationScripts.Read(running), "v2", MigrationScripts.Read(candidate), ["v1"]);

        Assert.Contains(result.Refused, f => f.Script == "Sqlite/Shard/0001_user_data.sql" && f.Problem.Contains("already shipped", StringComparison.Ordinal));
    }

    [Fact]
    public void Publishing_a_version_writes_out_the_scripts_its_data_assembly_embeds()
    {
        var target = Path.Combine(_directory, "extracted");
        var written = MigrationScripts.Extract(Path.Combine(ClusterProcess.Build("ScaleShop.Storefront"), "ScaleShop.Data.dll"), target);

        var extracted = MigrationScripts.Read(target);
        var source = MigrationScripts.Read(RepositoryScripts);
        Assert.Equal(source.Count, written);
        Assert.Equal(source.Keys.Order(StringComparer.Ordinal), extracted.Keys.Order(StringComparer.Ordinal));
        Assert.All(source, pair => Assert.Equal(pair.Value.Sql, extracted[pair.Key].Sql));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>A copy of the repository's scripts (those <paramref name="keep"/> accepts) in a folder of this test's.</summary>
    private string Scripts(string name, Func<string, bool> keep)
    {
        var target = Path.Combine(_directory, name);
        foreach (var file in Directory.EnumerateFiles(RepositoryScripts, "*.sql", SearchOption.AllDirectories).Where(keep))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(RepositoryScripts, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }
}
