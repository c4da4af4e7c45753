using System.Security.Cryptography;
using System.Text;

namespace ScaleShop.Data.Sharding;

/// <summary>
/// Where a user's data lives before we know their id: a new account is placed on the logical shard that its
/// normalised email hashes to, and the email index row sits on that same shard. Registration is therefore
/// one local transaction (no cross-database write), and signing in hashes the email to find the shard.
/// SHA-256 rather than string.GetHashCode: the placement must never change between processes or releases.
/// </summary>
public static class ShardKeys
{
    public static string NormalizeEmail(string email) => email.Trim().ToUpperInvariant();

    public static int LogicalShardForEmail(string normalizedEmail, int logicalShardCount)
    {
        Span<byte> utf8 = normalizedEmail.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(normalizedEmail.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(normalizedEmail.Length)];
        var written = Encoding.UTF8.GetBytes(normalizedEmail, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..written], hash);
        var value = BitConverter.ToUInt64(hash);
        return (int)(value % (ulong)logicalShardCount);
    }
}
