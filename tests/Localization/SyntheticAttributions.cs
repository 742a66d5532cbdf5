using System.Text.Json;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;

namespace KnPipeline.Tests.Localization;

/// <summary>
/// Synthetic attributed queries for the localization tests: a query of fact <c>F1</c> (relation <c>P36</c>) in one
/// language, with the attributions chosen by the test, flat and layer-major over <see cref="Layers"/> of
/// <see cref="Width"/> units (or the width a test passes). Query ids sort in template order, as the stage expects.
/// </summary>
public static class SyntheticAttributions
{
    public const string Fact = "F1";
    public const string Relation = "P36";
    public const int Width = 4;

    /// <summary>Attributed layers, deliberately not 0-based, so flat index → layer id is exercised.</summary>
    public static readonly int[] Layers = [1, 2];

    public static TokenizedQueryRecord Query(string language, int template, string split = TemplateSplits.Train,
        int[]? inputIds = null, int target = 7, string fact = Fact)
    {
        string templateId = $"{Relation}-{language}-{template}";
        int[] ids = inputIds ?? [3, 5 + template, 9];
        return new TokenizedQueryRecord($"{fact}|{language}|{templateId}", fact, Relation, language, templateId, split,
            "tiny", ids, [], [ids.Length - 1], [target], 1, 0);
    }

    /// <summary>One query's result: <paramref name="flat"/> cut into one <see cref="LayerAttribution"/> per layer.
    /// </summary>
    public static MethodAttribution Of(TokenizedQueryRecord query, float[] flat, int rank = 0, double prob = 0.5,
        AttributionMethod method = AttributionMethod.Dai, int width = Width)
    {
        if (flat.Length != Layers.Length * width)
            throw new ArgumentException($"expected {Layers.Length * width} attributions, got {flat.Length}");
        var layers = Layers.Select((l, k) =>
            new LayerAttribution(l, 0.0, flat.Skip(k * width).Take(width).Sum(), 0.0,
                flat.Skip(k * width).Take(width).ToArray())).ToList();
        return new MethodAttribution(query, method,
            new QueryAttribution(query.QueryId, prob, prob, Math.Log(prob), rank, layers));
    }

    public static MethodAttribution Of(string language, int template, float[] flat, int rank = 0, double prob = 0.5,
        string split = TemplateSplits.Train, int width = Width) =>
        Of(Query(language, template, split), flat, rank, prob, width: width);

    /// <summary>A fact whose cells are all trained, in every language its attributions name.</summary>
    public static FactGroup Group(IEnumerable<MethodAttribution> attributed, bool guessable = false)
    {
        var list = attributed.ToList();
        var cells = list.Select(a => a.Query.Language).Distinct()
            .ToDictionary(l => l, _ => TemplateSplits.Train);
        return new FactGroup(list.Count > 0 ? list[0].Query.FactId : Fact, Relation, guessable, cells, list);
    }

    /// <summary>QueryScores as the stage builds them from a result.</summary>
    public static QueryScores Scores(MethodAttribution a) => new(a.Query.QueryId, a.Query.Language, a.Query.Split,
        a.Result.TargetProb, a.Result.Layers.SelectMany(l => l.Attributions).ToArray());

    public static QueryScores Scores(string id, float[] flat, double prob = 0.5) =>
        new(id, "en", TemplateSplits.Train, prob, flat);

    /// <summary>(layer ids, units) of flat indices under <see cref="Layers"/>.</summary>
    public static (int[] Layers, int[] Units) Neurons(IEnumerable<int> flat, int width = Width)
    {
        var list = flat.ToList();
        return (list.Select(i => Layers[i / width]).ToArray(), list.Select(i => i % width).ToArray());
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>A deep, field-by-field rendering of records (arrays compare by value, NaN by name).</summary>
    public static string Dump<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);
}
