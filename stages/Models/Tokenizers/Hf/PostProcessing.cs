namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// What tokenizer.json's <c>post_processor</c> adds around a single sequence: the special ids before it (BOS, [CLS],
/// &lt;s&gt;) and after it ([SEP], &lt;/s&gt;). Pair templates are not needed by this project. <see cref="IsRoberta"/>
/// marks RobertaProcessing, whose tokenizers use RoBERTa's special-token names.
/// </summary>
internal sealed record PostProcessing(int[] Prefix, int[] Suffix, bool IsRoberta = false)
{
    public static readonly PostProcessing None = new([], []);

    public PostProcessing Then(PostProcessing next) =>
        new([.. Prefix, .. next.Prefix], [.. Suffix, .. next.Suffix], IsRoberta || next.IsRoberta);
}
