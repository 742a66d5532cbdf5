using KnPipeline.Stages.Models;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// The baseline provider of a method (<c>attribution.methods</c>), as the attribution stage asks for it: once per
/// device batch and method, with the batch's queries. Dai's zero needs none; AMIG prepares each batch's masked-prompt
/// means; the dataset mean is computed once per run by the caller (it owns where the means are kept) and handed in.
/// </summary>
public static class BaselineProviders
{
    /// <summary>The language of a query, from its id (<c>fact|language|template</c>).</summary>
    public static string LanguageOf(AttributionQuery q) => q.Id.Split('|')[1];

    public static Func<IReadOnlyList<AttributionQuery>, IBaselineProvider?> For(AttributionMethod method,
        LoadedModel loaded, IReadOnlyList<int>? layers, Func<DatasetMeanBaseline> datasetMean)
    {
        switch (method)
        {
            case AttributionMethod.Amig:
            {
                var t = loaded.Tokenizer;
                int replacement = loaded.Model.IsCausal ? t?.EosId ?? 0 : t?.MaskId ?? 103;
                var specials = new HashSet<int>(new[] { t?.BosId, t?.ClsId, t?.SepId, t?.PadId }
                    .Where(x => x.HasValue).Select(x => x!.Value));
                var amig = new AmigBaseline(loaded.Model, replacement, specials, loaded.PadId);
                var all = layers is { Count: > 0 }
                    ? layers.ToList()
                    : Enumerable.Range(0, loaded.Model.NumLayers).ToList();
                return qs =>
                {
                    amig.Prepare(qs, all);
                    return amig;
                };
            }
            case AttributionMethod.DatasetMean:
            {
                var mean = datasetMean();
                return _ => mean;
            }
            default:
                return _ => null;
        }
    }
}
