using System.Text.Json;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// Streams a JSON-lines file one object at a time. Blank lines are skipped; a line that is not JSON, or not a JSON
/// object, goes to quarantine as <c>malformed_json</c> with its file and line, and reading goes on.
/// </summary>
public static class JsonLines
{
    /// <summary>The stage name on quarantine records made while loading a benchmark.</summary>
    public const string Stage = "data";

    /// <param name="path">The file to read.</param>
    /// <param name="source">How quarantine records name the file (relative to the benchmark folder).</param>
    /// <param name="quarantine">Where malformed lines go.</param>
    public static IEnumerable<JsonLine> Read(string path, string source, IQuarantine quarantine)
    {
        int lineNo = 0;
        foreach (string text in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                quarantine.Add(new QuarantineRecord(source, lineNo, "", Stage, QuarantineReasons.MalformedJson,
                    e.Message));
                continue;
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    quarantine.Add(new QuarantineRecord(source, lineNo, "", Stage, QuarantineReasons.MalformedJson,
                        $"the line is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object"));
                    continue;
                }
                // The element is valid only until the consumer asks for the next line (the document is disposed).
                yield return new JsonLine(doc.RootElement, source, lineNo, quarantine);
            }
        }
    }
}
