namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// The special-token ids of <see cref="Core.ITextTokenizer"/>, which every tokenizer format reports from one
/// resolved <see cref="SpecialTokenIds"/>; a format sets <see cref="Special"/> in its constructor.
/// </summary>
public abstract class SpecialTokenTokenizer
{
    private protected SpecialTokenIds Special { get; init; } = new(null, null, null, null, null, null, null);

    public int? BosId => Special.Bos;
    public int? EosId => Special.Eos;
    public int? PadId => Special.Pad;
    public int? UnkId => Special.Unk;
    public int? MaskId => Special.Mask;
    public int? ClsId => Special.Cls;
    public int? SepId => Special.Sep;
}
