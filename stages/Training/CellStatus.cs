using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Training;

/// <summary>
/// cells.jsonl in the model folder: what the model was taught, per (fact, language) cell, so every analysis can be
/// checked against the planted ground truth (DESIGN §6). One line per cell, in benchmark order:
/// <c>{"fact_id", "language", "relation", "status": "trained"|"heldout-language", "trained_templates": [...],
/// "heldout_templates": [...], "withheld_templates": [...]}</c>: the training templates it was stated in, its
/// held-out templates (never trained), and training templates left out because their text names both halves of a
/// language-held-out cell. A language-held-out cell lists no trained template.
/// </summary>
public static class CellStatus
{
    public const string FileName = "cells.jsonl";

    public static void Write(string path, TrainingCorpus corpus)
    {
        var json = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using var w = new StreamWriter(path, false, new System.Text.UTF8Encoding(false));
        foreach (var cell in corpus.Statements.GroupBy(s => (s.Language, s.FactId)))
        {
            var first = cell.First();
            bool heldOut = first.Split == TemplateSplits.HeldoutLanguage;
            JsonArray Ids(Func<FactStatement, bool> keep) => [.. cell.Where(keep).Select(s => (JsonNode)s.TemplateId)];
            w.Write(new JsonObject
            {
                ["fact_id"] = first.FactId, ["language"] = first.Language, ["relation"] = first.Relation,
                ["status"] = heldOut ? TemplateSplits.HeldoutLanguage : "trained",
                ["trained_templates"] = Ids(s => s.IsTrain),
                ["heldout_templates"] = Ids(s => s.Split == TemplateSplits.Heldout),
                ["withheld_templates"] = Ids(s => s.Split == TemplateSplits.Train && !s.IsTrain),
            }.ToJsonString(json));
            w.Write('\n');
        }
    }
}
