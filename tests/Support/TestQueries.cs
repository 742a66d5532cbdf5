using KnPipeline.Stages.Attribution;

namespace KnPipeline.Tests.Support;

/// <summary>Attribution queries for the engine tests, built the way the attribution stage builds them.</summary>
public static class TestQueries
{
    /// <summary>Teacher forcing: the input holds the prompt and all but the last object token.</summary>
    public static AttributionQuery Causal(string id, int[] prompt, int[] objectIds)
    {
        var ids = prompt.Concat(objectIds[..^1]).ToArray();
        int p = prompt.Length - 1;
        return new AttributionQuery(id, ids, null, p, Enumerable.Range(p, objectIds.Length).ToArray(), objectIds);
    }

    /// <summary>[CLS] left [MASK]×masks right [SEP], every mask a target.</summary>
    public static AttributionQuery Masked(string id, int[] left, int masks, int[] right, int[] objectIds,
        int mask = 30)
    {
        var ids = new[] { 1 }.Concat(left).Concat(Enumerable.Repeat(mask, masks)).Concat(right).Append(2).ToArray();
        int p = 1 + left.Length;
        return new AttributionQuery(id, ids, new int[ids.Length], p, Enumerable.Range(p, masks).ToArray(), objectIds);
    }
}
