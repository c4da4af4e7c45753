namespace ScaleShop.Data.Seeding;

public sealed record SeedUser(long Id, string Email, string NormalizedEmail, string DisplayName);

/// <summary>
/// The fastest way each provider has to write many rows (prepared statements in big transactions on
/// SQLite, binary COPY on PostgreSQL). Every load skips rows that already exist, so seeding re-runs.
/// </summary>
public interface IBulkLoader
{
    Task LoadCategoriesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken);

    Task LoadProductsAsync(IReadOnlyList<GeneratedProduct> products, long updatedAt, CancellationToken cancellationToken);

    Task LoadUsersAsync(string physicalDatabase, IReadOnlyList<SeedUser> users, string passwordHash, long createdAt, CancellationToken cancellationToken);
}
