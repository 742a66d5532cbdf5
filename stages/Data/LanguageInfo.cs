namespace KnPipeline.Stages.Data;

/// <summary>
/// A language of a benchmark. <see cref="Spaces"/> says whether words are separated by spaces, which decides
/// whether an object continues the prompt after a space (a leading-space target for BPE tokenizers) or not.
/// </summary>
/// <param name="Code">Language code as the benchmark spells it (<c>en</c>, <c>zh-hans</c>).</param>
/// <param name="Name">Display name; the code when the benchmark has none.</param>
/// <param name="Family">Language family, when declared (RML-LAMA); else empty.</param>
/// <param name="Script">Script, when declared (RML-LAMA); else empty.</param>
/// <param name="Spaces">True when the language separates words with spaces.</param>
public sealed record LanguageInfo(string Code, string Name, string Family, string Script, bool Spaces)
{
    /// <summary>A language known only by its code; spacing from <see cref="LanguageCatalog"/>.</summary>
    public static LanguageInfo FromCode(string code) =>
        new(code, code, "", "", LanguageCatalog.UsesSpaces(code));
}
