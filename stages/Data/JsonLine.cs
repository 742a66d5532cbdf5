using System.Text.Json;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// One JSON object of a JSON-lines file with typed field access. A missing or mistyped field is quarantined here
/// (<c>missing_field</c>, <c>bad_field_type</c>) with the line's location, and the accessor returns false.
/// </summary>
public readonly struct JsonLine(JsonElement element, string source, int line, IQuarantine quarantine)
{
    public JsonElement Element => element;
    public string Source => source;
    public int Line => line;

    /// <summary>Quarantines this line.</summary>
    public void Reject(string reason, string detail, string recordId = "") =>
        quarantine.Add(new QuarantineRecord(source, line, recordId, JsonLines.Stage, reason, detail));

    /// <summary>A required string field.</summary>
    public bool TryString(string field, string recordId, out string value)
    {
        value = "";
        if (!element.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null)
        {
            Reject(QuarantineReasons.MissingField, $"field '{field}' is missing", recordId);
            return false;
        }
        if (p.ValueKind != JsonValueKind.String)
        {
            Reject(QuarantineReasons.BadFieldType, $"field '{field}' is a {Kind(p)}, not a string", recordId);
            return false;
        }
        value = p.GetString()!;
        return true;
    }

    /// <summary>An optional string field: absent or null gives <paramref name="fallback"/>; a non-string is an error.</summary>
    public bool TryOptionalString(string field, string recordId, string fallback, out string value)
    {
        value = fallback;
        if (!element.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null)
            return true;
        return TryString(field, recordId, out value);
    }

    /// <summary>A required id: a string, or an integer number written as its decimal text.</summary>
    public bool TryId(string field, string recordId, out string value)
    {
        value = "";
        if (element.TryGetProperty(field, out var p) && p.ValueKind == JsonValueKind.Number)
        {
            if (p.TryGetInt64(out long n))
            {
                value = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return true;
            }
            Reject(QuarantineReasons.BadFieldType, $"field '{field}' is not an integer", recordId);
            return false;
        }
        return TryString(field, recordId, out value);
    }

    /// <summary>True when the field is present and not null.</summary>
    public bool Has(string field) => element.TryGetProperty(field, out var p) && p.ValueKind != JsonValueKind.Null;

    /// <summary>An optional boolean field.</summary>
    public bool TryOptionalBool(string field, string recordId, bool fallback, out bool value)
    {
        value = fallback;
        if (!element.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null)
            return true;
        if (p.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = p.GetBoolean();
            return true;
        }
        Reject(QuarantineReasons.BadFieldType, $"field '{field}' is a {Kind(p)}, not a boolean", recordId);
        return false;
    }

    /// <summary>An optional array of strings (absent or null: empty). Empty and whitespace entries are dropped.</summary>
    public bool TryStringList(string field, string recordId, out IReadOnlyList<string> value)
    {
        value = [];
        if (!element.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null)
            return true;
        if (p.ValueKind != JsonValueKind.Array)
        {
            Reject(QuarantineReasons.BadFieldType, $"field '{field}' is a {Kind(p)}, not an array of strings", recordId);
            return false;
        }
        var list = new List<string>(p.GetArrayLength());
        foreach (var item in p.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                Reject(QuarantineReasons.BadFieldType, $"field '{field}' holds a {Kind(item)}, not only strings",
                    recordId);
                return false;
            }
            string s = item.GetString()!.Trim();
            if (s.Length > 0)
                list.Add(s);
        }
        value = list;
        return true;
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}
