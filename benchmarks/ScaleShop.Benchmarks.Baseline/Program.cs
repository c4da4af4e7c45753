// The bare minimal-API endpoint: GET /constant returns one constant object with the shape and size of the
// storefront's GET /api/v1/products/42 (same fields, same values: 336 bytes of JSON), serialised the same
// way (TypedResults.Ok, System.Text.Json web defaults). Whatever the storefront's product GET costs beyond
// this is its middleware, auth, telemetry, routing of many endpoints and the cache lookup.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

var app = builder.Build();

var product = new BaselineProduct(
    Id: 42,
    Sku: "SKU-00000042",
    Name: "Blue Yonder Rugged Cable 689 Orange",
    Description: "The Blue Yonder rugged cable in orange, from our chargers range. Built with recycled materials and titanium hardware. "
        + "Model 689, made for everyday use and backed by Blue Yonder service.",
    Price: 22.77m,
    Currency: "USD",
    CategoryId: 42,
    Stock: 446);

app.MapGet("/constant", () => TypedResults.Ok(product));
app.MapGet("/health/ready", () => TypedResults.Text("Healthy"));
app.Run();

/// <summary>Same shape as the storefront's <c>Product</c> record.</summary>
internal sealed record BaselineProduct(long Id, string Sku, string Name, string Description, decimal Price, string Currency, long CategoryId, int Stock);
