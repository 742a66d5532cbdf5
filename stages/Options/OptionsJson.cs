using System.Collections;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace KnPipeline.Stages.Options;

/// <summary>
/// Canonical JSON of any options object (a whole <see cref="PipelineConfig"/> or one section): YAML key names,
/// keys sorted ordinally at every level, enums in their YAML spelling, numbers in shortest round-trip form, no
/// whitespace unless asked. Two configs that bind to the same values give the same bytes, whatever their comments,
/// spacing or key order, so <see cref="Sha256"/> identifies a configuration (e.g. a cache key for a trained model).
/// </summary>
public static class OptionsJson
{
    /// <summary>The canonical JSON text.</summary>
    public static string Canonical(object options, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
            WriteObject(writer, options);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Lower-case hex SHA-256 of the compact canonical JSON (UTF-8).</summary>
    public static string Sha256(object options) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(options))));

    private static void WriteObject(Utf8JsonWriter w, object options)
    {
        w.WriteStartObject();
        foreach (var p in OptionsSchema.Properties(options.GetType()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(p.Key);
            object? value = p.GetValue(options);
            if (value == null)
                w.WriteNullValue();
            else if (p.Kind == OptionValueKind.Section)
                WriteObject(w, value);
            else if (p.Kind == OptionValueKind.List)
            {
                w.WriteStartArray();
                foreach (object? item in (IEnumerable)value)
                    WriteScalar(w, item);
                w.WriteEndArray();
            }
            else
                WriteScalar(w, value);
        }
        w.WriteEndObject();
    }

    private static void WriteScalar(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case double d: w.WriteNumberValue(d); break;
            case Enum e: w.WriteStringValue(OptionNames.Of(e)); break;
            default: throw new InvalidOperationException($"no canonical JSON form for {value.GetType().Name}");
        }
    }
}
