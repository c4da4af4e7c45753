using System.Text.Json;
using System.Text.Json.Serialization;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Admin;
using ScaleShop.Storefront.Cart;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Observability;
using ScaleShop.Storefront.Orders;
using ScaleShop.Storefront.Recommendations;

namespace ScaleShop.Storefront.Hosting;

/// <summary>
/// Source-generated JSON for every type the API reads or writes: no reflection at run time, and responses
/// are written by generated code straight to the output (the hottest reads are a cache hit plus this).
/// Its options match the ones the service runs with (web defaults, strict numbers), or the generated fast
/// path would not be used.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(Product))]
[JsonSerializable(typeof(Page<ProductSummary>))]
[JsonSerializable(typeof(ItemsResponse<Category>))]
[JsonSerializable(typeof(CartView))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Page<Order>))]
[JsonSerializable(typeof(AccountView))]
[JsonSerializable(typeof(SignInResponse))]
[JsonSerializable(typeof(RecommendationsResponse))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(SetQuantityRequest))]
[JsonSerializable(typeof(PlaceOrderRequest))]
[JsonSerializable(typeof(ProductUpdate))]
[JsonSerializable(typeof(ShardMoveRequest))]
[JsonSerializable(typeof(ShardMoveStatus))]
[JsonSerializable(typeof(ShardsView))]
[JsonSerializable(typeof(OpsDashboardView))]
internal sealed partial class StorefrontJsonContext : JsonSerializerContext;
