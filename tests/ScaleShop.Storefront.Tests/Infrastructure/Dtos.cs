namespace ScaleShop.Storefront.Tests.Infrastructure;

// The API's JSON contract as a client sees it: deliberately not the server's own types.
public sealed record PageDto<T>(List<T> Items, string? Next);

public sealed record ItemsDto<T>(List<T> Items);

public sealed record CategoryDto(long Id, string Name);

public sealed record ProductDto(long Id, string Sku, string Name, decimal Price, string Currency, long CategoryId, int Stock, string? Description);

public sealed record CartItemDto(long ProductId, string Name, int Quantity, decimal UnitPrice);

public sealed record CartDto(List<CartItemDto> Items, decimal Total, string Currency);

public sealed record OrderItemDto(long ProductId, int Quantity, decimal UnitPrice);

public sealed record OrderDto(string Id, string Status, List<OrderItemDto> Items, decimal Total, string Currency, DateTimeOffset CreatedAt, string? StatusReason = null);

public sealed record RecommendationsDto(List<ProductDto> Items, string Source);

public sealed record ProblemDto(string? Type, string? Title, int Status, string? Detail, Dictionary<string, string[]>? Errors, long? ProductId, string? Field);
