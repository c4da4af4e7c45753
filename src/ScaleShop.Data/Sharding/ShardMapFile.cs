using System.Text.Json;

namespace ScaleShop.Data.Sharding;

/// <summary>
/// Keeps the shard map beside the data it describes. It is written once, when the data folder is new, and
/// read on every later start, so that changing the configured defaults can never silently re-route
/// existing users to databases that do not hold their rows.
/// </summary>
public static class ShardMapFile
{
    public const string FileName = "shardmap.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static ShardMap LoadOrCreate(string dataDirectory, int logicalShards, int physicalShards)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            return Read(path);
        }

        var map = ShardMap.CreateDefault(logicalShards, physicalShards);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(map, Json));
        try
        {
            // Two processes may start on a fresh folder together: the first move wins, the other reads it.
            File.Move(temporary, path, overwrite: false);
            return map;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return Read(path);
        }
    }

    private static ShardMap Read(string path) =>
        JsonSerializer.Deserialize<ShardMap>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"Shard map {path} is empty.");
}
