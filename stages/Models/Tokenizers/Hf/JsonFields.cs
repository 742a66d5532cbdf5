using System.Text.Json;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// Typed field access for tokenizer.json with errors that name the file and the JSON path of the bad field.
/// </summary>
internal sealed class JsonFields(string file)
{
    public string File { get; } = file;

    public InvalidDataException Error(string jsonPath, string message) => new($"{File}: {jsonPath}: {message}");

    /// <summary>A string field; null when missing or JSON null.</summary>
    public string? Str(JsonElement o, string name, string path)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw Error($"{path}.{name}", $"expected a string, found {v.ValueKind}");
    }

    public bool Bool(JsonElement o, string name, string path, bool missing)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            return missing;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
            : throw Error($"{path}.{name}", $"expected true or false, found {v.ValueKind}");
    }

    public bool? OptBool(JsonElement o, string name, string path) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? Bool(o, name, path, false) : null;

    public int? Int(JsonElement o, string name, string path)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
            : throw Error($"{path}.{name}", $"expected an integer, found {v.GetRawText()}");
    }

    /// <summary>An array field; an empty array when missing.</summary>
    public IEnumerable<JsonElement> Array(JsonElement o, string name, string path)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            return [];
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray()
            : throw Error($"{path}.{name}", $"expected an array, found {v.ValueKind}");
    }

    /// <summary>A required object field.</summary>
    public JsonElement Object(JsonElement o, string name, string path)
    {
        if (o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object)
            return v;
        throw Error($"{path}.{name}", "expected an object");
    }

    /// <summary>The "type" of a component object.</summary>
    public string Type(JsonElement o, string path) =>
        o.ValueKind == JsonValueKind.Object ? Str(o, "type", path) ?? throw Error(path, "has no \"type\"")
            : throw Error(path, $"expected an object, found {o.ValueKind}");

    /// <summary>A {"String": "..."} or {"Regex": "..."} pattern.</summary>
    public System.Text.RegularExpressions.Regex Pattern(JsonElement o, string path)
    {
        var p = Object(o, "pattern", path);
        try
        {
            if (Str(p, "String", path + ".pattern") is { } literal)
                return OnigurumaPattern.Literal(literal);
            if (Str(p, "Regex", path + ".pattern") is { } regex)
                return OnigurumaPattern.Compile(regex);
        }
        catch (ArgumentException e)
        {
            throw Error(path + ".pattern", "the regex cannot be compiled: " + e.Message);
        }
        throw Error(path + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>A one-character field (Metaspace replacement, Strip content).</summary>
    public char Char(JsonElement o, string name, string path, char missing)
    {
        string? s = Str(o, name, path);
        if (s == null)
            return missing;
        return s.Length == 1 ? s[0] : throw Error($"{path}.{name}", $"expected one character, found '{s}'");
    }
}
