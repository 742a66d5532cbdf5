using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnPipeline.Stages.Training;

/// <summary>
/// training.json of an embedded model folder: how long building it took (<see cref="Seconds"/>: tokenizer, training,
/// saving and evaluation), epochs and steps run, the final epoch's mean loss, per-language accuracy
/// (<see cref="LanguageAccuracy"/>), the hash of the benchmark data it was trained on, the options, and details
/// (tokenizer size, corpus size, per-epoch log) kept as JSON in <see cref="Details"/>.
/// </summary>
public sealed record TrainingReport
{
    public const string FileName = "training.json";

    public required double Seconds { get; init; }
    public required int Epochs { get; init; }
    public required int Steps { get; init; }
    public required double FinalLoss { get; init; }
    public required IReadOnlyDictionary<string, LanguageAccuracy> Accuracy { get; init; }
    public required string DataHash { get; init; }
    public required string CacheKey { get; init; }
    public required JsonObject Options { get; init; }
    public JsonObject Details { get; init; } = [];

    private static readonly JsonSerializerOptions Pretty =
        new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public JsonObject ToJson()
    {
        var accuracy = new JsonObject();
        foreach (var (lang, a) in Accuracy.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var o1 = new JsonObject
            {
                ["train"] = Number(a.Train), ["heldout"] = Number(a.Heldout),
                ["train_greedy"] = Number(a.TrainGreedy), ["heldout_greedy"] = Number(a.HeldoutGreedy),
                ["train_queries"] = a.TrainQueries, ["heldout_queries"] = a.HeldoutQueries,
                ["heldout_all"] = Number(a.HeldoutAll), ["heldout_all_queries"] = a.HeldoutAllQueries,
                ["baseline"] = Number(a.Baseline), ["train_alias"] = Number(a.TrainAlias),
                ["heldout_alias"] = Number(a.HeldoutAlias), ["heldout_all_alias"] = Number(a.HeldoutAllAlias),
            };
            foreach (string key in CrosslingualFigures.Keys)
                o1[key] = Number(a.Crosslingual.GetValueOrDefault(key, double.NaN));
            accuracy[lang] = o1;
        }
        var o = new JsonObject
        {
            ["seconds"] = Math.Round(Seconds, 3),
            ["epochs"] = Epochs,
            ["steps"] = Steps,
            ["final_loss"] = Number(FinalLoss),
            ["accuracy"] = accuracy,
            ["data_hash"] = DataHash,
            ["cache_key"] = CacheKey,
            ["options"] = Options.DeepClone(),
        };
        foreach (var (k, v) in Details)
            o[k] = v?.DeepClone();
        return o;
    }

    public void Save(string dir) =>
        File.WriteAllText(Path.Combine(dir, FileName), ToJson().ToJsonString(Pretty) + "\n");

    /// <exception cref="InvalidDataException">training.json is missing a field or malformed; the message names
    /// it.</exception>
    public static TrainingReport Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))?.AsObject()
                    ?? throw new InvalidDataException($"{path}: empty file");
            var accuracy = new SortedDictionary<string, LanguageAccuracy>(StringComparer.Ordinal);
            foreach (var (lang, node) in Req(o, "accuracy", path).AsObject())
            {
                var a = node?.AsObject() ?? throw new InvalidDataException($"{path}: accuracy.{lang} is null");
                accuracy[lang] = new LanguageAccuracy(D(a, "train"), D(a, "heldout"), D(a, "train_greedy"),
                    D(a, "heldout_greedy"), (int)D(a, "train_queries"), (int)D(a, "heldout_queries"))
                {
                    HeldoutAll = D(a, "heldout_all"),
                    HeldoutAllQueries = a["heldout_all_queries"] is JsonValue n ? n.GetValue<int>() : 0,
                    Baseline = D(a, "baseline"), TrainAlias = D(a, "train_alias"), HeldoutAlias = D(a, "heldout_alias"),
                    HeldoutAllAlias = D(a, "heldout_all_alias"),
                    Crosslingual = a.Where(kv => kv.Key.StartsWith("crosslingual", StringComparison.Ordinal))
                        .ToDictionary(kv => kv.Key, kv => D(a, kv.Key), StringComparer.Ordinal),
                };
            }
            var known = new HashSet<string>
                { "seconds", "epochs", "steps", "final_loss", "accuracy", "data_hash", "cache_key", "options" };
            var details = new JsonObject();
            foreach (var (k, v) in o)
                if (!known.Contains(k))
                    details[k] = v?.DeepClone();
            return new TrainingReport
            {
                Seconds = Req(o, "seconds", path).GetValue<double>(),
                Epochs = Req(o, "epochs", path).GetValue<int>(),
                Steps = Req(o, "steps", path).GetValue<int>(),
                FinalLoss = D(o, "final_loss"),
                Accuracy = accuracy,
                DataHash = Req(o, "data_hash", path).GetValue<string>(),
                CacheKey = Req(o, "cache_key", path).GetValue<string>(),
                Options = Req(o, "options", path).AsObject().DeepClone().AsObject(),
                Details = details,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed training report: {e.Message}", e);
        }
    }

    private static JsonNode Req(JsonObject o, string key, string path) =>
        o[key] ?? throw new InvalidDataException($"{path}: missing '{key}'");

    // JSON has no NaN: an accuracy over zero queries is written as null and read back as NaN.
    private static JsonNode? Number(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;

    private static double D(JsonObject o, string key) => o[key] is JsonValue v ? v.GetValue<double>() : double.NaN;
}
