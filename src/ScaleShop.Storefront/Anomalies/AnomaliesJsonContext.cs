using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>The webhook body, written by generated code: its bytes are what the signature covers.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IncidentNotification))]
public sealed partial class AnomaliesJsonContext : JsonSerializerContext;
