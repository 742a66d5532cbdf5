using System.ComponentModel.DataAnnotations;

using KnPipeline.Stages.QueryExpansion;

namespace KnPipeline.Stages.Options;

/// <summary>The <c>model:</c> section: which checkpoint to analyse.</summary>
public sealed class ModelOptions
{
    public const string SectionName = "model";

    /// <summary>
    /// The name of the small model trained on the embedded benchmark (see <see cref="EmbeddedModelOptions"/>).
    /// </summary>
    public const string Embedded = "embedded";

    /// <summary>"embedded", a local Hugging Face model folder, or a Hub id with an optional @revision.</summary>
    [Required]
    public string Path { get; set; } = Embedded;

    public ModelKind Kind { get; set; } = ModelKind.Auto;

    public IEnumerable<OptionError> Validate()
    {
        foreach (var e in OptionChecks.Check(this, SectionName))
            yield return e;
        // A local folder may be named anything; only a would-be Hub id is checked for shape.
        if (string.IsNullOrWhiteSpace(Path) || Path == Embedded || Directory.Exists(Path))
            yield break;
        string key = $"{SectionName}.path";
        int at = Path.IndexOf('@');
        if (Path.Any(char.IsWhiteSpace))
            yield return new OptionError(key, $"must be 'embedded', an existing folder or a Hub id; got '{Path}'");
        else if (at == 0 || at == Path.Length - 1)
            yield return new OptionError(key,
                $"a Hub id needs a name before '@' and a revision after it; got '{Path}'");
    }
}
