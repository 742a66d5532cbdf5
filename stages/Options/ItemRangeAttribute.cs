namespace KnPipeline.Stages.Options;

/// <summary>
/// Every item of a list of integers must lie in [<see cref="Minimum"/>, <see cref="Maximum"/>]. (DataAnnotations'
/// <c>RangeAttribute</c> checks a single value, so lists get their own attribute.)
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemRangeAttribute(long minimum, long maximum) : Attribute
{
    public long Minimum { get; } = minimum;

    public long Maximum { get; } = maximum;
}
