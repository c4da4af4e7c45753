using System.Globalization;

namespace ScaleShop.Data.Seeding;

public sealed record GeneratedProduct(long Id, string Sku, string Name, string Description, long PriceCents, long CategoryId, int Stock, long SoldCount);

/// <summary>
/// A deterministic, realistic-looking catalog: real category names, product names built from brand,
/// adjective and noun, descriptions that repeat those words (so full-text search finds them), prices
/// spread log-normally, and popularity drawn from a Zipf distribution as real shops see.
/// </summary>
public static class CatalogGenerator
{
    private static readonly (string Category, string[] Nouns)[] Categories =
    [
        ("Laptops", ["Laptop", "Notebook", "Ultrabook"]), ("Headphones", ["Headphones", "Earbuds", "Headset"]),
        ("Cameras", ["Camera", "Camcorder", "Lens"]), ("Phones", ["Smartphone", "Phone", "Handset"]),
        ("Tablets", ["Tablet", "E-reader", "Slate"]), ("Monitors", ["Monitor", "Display", "Screen"]),
        ("Keyboards", ["Keyboard", "Keypad", "Keyset"]), ("Mice", ["Mouse", "Trackball", "Trackpad"]),
        ("Speakers", ["Speaker", "Soundbar", "Subwoofer"]), ("Watches", ["Watch", "Smartwatch", "Chronograph"]),
        ("Running Shoes", ["Running Shoe", "Trainer", "Racer"]), ("Hiking Boots", ["Hiking Boot", "Trail Boot", "Trekker"]),
        ("Jackets", ["Jacket", "Parka", "Windbreaker"]), ("Backpacks", ["Backpack", "Daypack", "Rucksack"]),
        ("Tents", ["Tent", "Shelter", "Bivy"]), ("Sleeping Bags", ["Sleeping Bag", "Quilt", "Liner"]),
        ("Bicycles", ["Bicycle", "Road Bike", "Mountain Bike"]), ("Helmets", ["Helmet", "Bike Helmet", "Ski Helmet"]),
        ("Coffee Makers", ["Coffee Maker", "Espresso Machine", "Grinder"]), ("Cookware", ["Skillet", "Saucepan", "Dutch Oven"]),
        ("Knives", ["Chef Knife", "Paring Knife", "Bread Knife"]), ("Blenders", ["Blender", "Mixer", "Juicer"]),
        ("Vacuum Cleaners", ["Vacuum", "Robot Vacuum", "Handheld Vacuum"]), ("Lamps", ["Lamp", "Desk Lamp", "Floor Lamp"]),
        ("Chairs", ["Chair", "Office Chair", "Stool"]), ("Desks", ["Desk", "Standing Desk", "Workbench"]),
        ("Sofas", ["Sofa", "Loveseat", "Sectional"]), ("Beds", ["Bed Frame", "Mattress", "Headboard"]),
        ("Rugs", ["Rug", "Runner", "Mat"]), ("Towels", ["Bath Towel", "Hand Towel", "Beach Towel"]),
        ("Board Games", ["Board Game", "Card Game", "Puzzle"]), ("Toys", ["Building Set", "Action Figure", "Plush Toy"]),
        ("Books", ["Novel", "Cookbook", "Field Guide"]), ("Notebooks", ["Notebook", "Journal", "Sketchbook"]),
        ("Pens", ["Fountain Pen", "Ballpoint Pen", "Marker"]), ("Guitars", ["Guitar", "Bass", "Ukulele"]),
        ("Pianos", ["Keyboard Piano", "Synthesizer", "Digital Piano"]), ("Drones", ["Drone", "Quadcopter", "FPV Kit"]),
        ("Printers", ["Printer", "Scanner", "Label Printer"]), ("Routers", ["Router", "Mesh Node", "Access Point"]),
        ("Storage", ["SSD", "Hard Drive", "Memory Card"]), ("Chargers", ["Charger", "Power Bank", "Cable"]),
        ("Sunglasses", ["Sunglasses", "Goggles", "Glasses"]), ("Wallets", ["Wallet", "Card Holder", "Money Clip"]),
        ("Perfume", ["Eau de Parfum", "Cologne", "Body Mist"]), ("Skincare", ["Moisturizer", "Serum", "Cleanser"]),
        ("Vitamins", ["Multivitamin", "Vitamin D", "Omega-3"]), ("Pet Supplies", ["Dog Bed", "Cat Tree", "Leash"]),
        ("Garden Tools", ["Pruner", "Hose", "Trowel"]), ("Power Tools", ["Drill", "Circular Saw", "Sander"]),
    ];

    private static readonly string[] Brands =
    [
        "Acme", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Proseware", "Adatum", "Woodgrove", "Lucerne",
        "Wingtip", "Alpine", "Blue Yonder", "Coho", "Fourth Coffee", "Humongous", "Margie", "Relecloud", "Trey", "Wide World",
    ];

    private static readonly string[] Adjectives =
    [
        "Compact", "Wireless", "Ultralight", "Rugged", "Premium", "Classic", "Pro", "Smart", "Ergonomic", "Portable",
        "Waterproof", "Silent", "Heavy-Duty", "Slim", "Vintage", "Modern", "Eco", "Turbo", "Deluxe", "Essential",
    ];

    private static readonly string[] Colors = ["Black", "White", "Red", "Blue", "Green", "Graphite", "Silver", "Orange", "Olive", "Navy"];

    private static readonly string[] Features =
    [
        "long battery life", "a lifetime warranty", "fast charging", "recycled materials", "a carbon fiber frame",
        "noise cancellation", "a stainless steel body", "all-weather sealing", "a two-year guarantee", "tool-free assembly",
        "a memory foam core", "titanium hardware", "machine-washable fabric", "a 4K sensor", "Bluetooth 5.3",
    ];

    public static int MaxCategories => Categories.Length;

    /// <summary>Words every seeded catalog's names and descriptions are built from: what shoppers search for (load generator).</summary>
    public static IReadOnlyList<string> SearchTerms { get; } = Brands.Concat(Adjectives).Concat(Categories.SelectMany(c => c.Nouns))
        .Select(word => word.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<string> CategoryNames(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Categories.Length);
        return Categories.Take(count).Select(c => c.Category).ToArray();
    }

    /// <summary>Product <paramref name="id"/> (1-based) of a catalog with <paramref name="categoryCount"/> categories.</summary>
    public static GeneratedProduct Product(long id, int categoryCount, long totalProducts)
    {
        // One Random per product keeps generation deterministic and parallel-safe.
        var random = new Random(unchecked((int)(id * 2_654_435_761L)));
        var categoryIndex = (int)((id - 1) % categoryCount);
        var (category, nouns) = Categories[categoryIndex];
        var brand = Brands[random.Next(Brands.Length)];
        var adjective = Adjectives[random.Next(Adjectives.Length)];
        var noun = nouns[random.Next(nouns.Length)];
        var color = Colors[random.Next(Colors.Length)];
        var model = random.Next(100, 1000);
        var name = $"{brand} {adjective} {noun} {model} {color}";
        var feature1 = Features[random.Next(Features.Length)];
        var feature2 = Features[random.Next(Features.Length)];
        var description =
            $"The {brand} {adjective.ToLowerInvariant()} {noun.ToLowerInvariant()} in {color.ToLowerInvariant()}, from our {category.ToLowerInvariant()} range. " +
            $"Built with {feature1} and {feature2}. Model {model}, made for everyday use and backed by {brand} service.";

        // Log-normal prices centred near $40, two decimals, never free.
        var logPrice = 3.7 + (1.1 * NextGaussian(random));
        var priceCents = Math.Clamp((long)Math.Round(Math.Exp(logPrice) * 100), 99, 999_999);

        // Zipf(s≈1) popularity over a shuffled rank, so best-sellers are spread across categories.
        var rank = 1 + ((id * 7_919) % totalProducts);
        var soldCount = (long)Math.Floor(50_000.0 / rank);

        return new GeneratedProduct(id, $"SKU-{id.ToString("D8", CultureInfo.InvariantCulture)}", name, description, priceCents,
            categoryIndex + 1, random.Next(20, 500), soldCount);
    }

    private static double NextGaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
