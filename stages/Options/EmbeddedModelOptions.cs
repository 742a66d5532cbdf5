using System.ComponentModel.DataAnnotations;

namespace KnPipeline.Stages.Options;

/// <summary>
/// The <c>embedded_model:</c> section: shape and training recipe of the small transformer trained on the embedded
/// benchmark when <c>model.path</c> is "embedded" (stages/Training/README.md). The trained weights are cached in
/// <see cref="CacheDir"/> under a hash of these options.
/// </summary>
public sealed class EmbeddedModelOptions
{
    public const string SectionName = "embedded_model";

    /// <summary>
    /// 6 rather than 4 (with <see cref="Ffn"/> 256 rather than 512: the same 0.79M parameters outside the
    /// embeddings): at 4 layers 91% of coarse KNs sat in layer 0, at 6 layers 56%, with the top layer second
    /// (stages/Training/README.md, Depth and BOS).
    /// </summary>
    [Range(1, 24)]
    public int Layers { get; set; } = 6;

    /// <summary>Hidden size; must be divisible by <see cref="Heads"/>.</summary>
    [Range(16, 2048)]
    public int DModel { get; set; } = 128;

    [Range(1, 64)]
    public int Heads { get; set; } = 4;

    /// <summary>FFN inner size, i.e. the number of candidate neurons per layer.</summary>
    [Range(16, 16384)]
    public int Ffn { get; set; } = 256;

    /// <summary>
    /// Epochs at most (the cosine schedule spans them); training stops early at <see cref="TargetAccuracy"/>. With
    /// <see cref="PromptDrop"/> alone the target came at epoch 6.5 of 7 (within 6 epochs Arabic stopped at 0.938); with
    /// <see cref="CodeSwitchRate"/> as well, the default reaches it at the last check, epoch 7.0.
    /// </summary>
    [Range(1, 200)]
    public int MaxEpochs { get; set; } = 7;

    [Range(1, 4096)]
    public int BatchSize { get; set; } = 64;

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double LearningRate { get; set; } = 0.003;

    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Fraction of the optimiser steps spent warming the learning rate up.</summary>
    [Range(0.0, 0.5)]
    public double WarmupFraction { get; set; } = 0.05;

    /// <summary>Fraction of training sequences that are filler text rather than fact statements.</summary>
    [Range(0.0, 0.9)]
    public double FillerFraction { get; set; } = 0.2;

    /// <summary>
    /// Loss weight of object tokens relative to the other tokens. 10 rather than the stand-in's 3: with whole-word
    /// object tokens, ×3 left Arabic and German near 85% after 8 epochs; ×10 reaches 95% in every language.
    /// </summary>
    [Range(1.0, 100.0)]
    public double ObjectWeight { get; set; } = 10.0;

    /// <summary>Training stops early once this share of training facts is answered correctly.</summary>
    [Range(0.0, 1.0)]
    public double TargetAccuracy { get; set; } = 0.95;

    /// <summary>
    /// Chance, per training epoch, that each template token of a fact sentence's prompt is replaced by a token drawn
    /// uniformly from the vocabulary (subject and object tokens are never touched). Held-out paraphrases put the
    /// relation's known words among words the model never read; training on prompts with a few words swapped out
    /// teaches it to find the relation from the words it knows (stages/Training/README.md, Prompt noise). 0 = off.
    /// </summary>
    [Range(0.0, 0.5)]
    public double PromptNoise { get; set; } = 0.15;

    /// <summary>
    /// Chance, each time a fact sentence is presented, that each template token of its prompt (never a subject or
    /// object token) is left out: a paraphrase also changes how many words stand between the subject and the answer.
    /// Drawn with the same number as <see cref="PromptNoise"/> (a token is replaced or left out, not both), so 0 leaves
    /// the noise of a run without it unchanged. 0 = off. At 0.1, held-out accuracy on benchmark v2.2 rose from 0.595 to
    /// 0.684 (stages/Training/README.md, Prompt drop).
    /// </summary>
    [Range(0.0, 0.5)]
    public double PromptDrop { get; set; } = 0.1;

    /// <summary>
    /// Put &lt;|endoftext|&gt; in front of every training sentence and write add_bos_token: true, so the pipeline's
    /// prompts start with it too: a fixed first position that attention can rest on, as real LMs have.
    /// </summary>
    public bool Bos { get; set; }

    /// <summary>
    /// Cross-lingual training text (issue #13; stages/Training/README.md, Alignment text): name lists, code-switched
    /// statements, both, or none (the ablation).
    /// </summary>
    public AlignmentText Alignment { get; set; } = AlignmentText.Both;

    /// <summary>
    /// With code-switching on, beyond the one code-switched line per cell: the chance, each time a training statement
    /// is presented, that a variant with its subject named in another language is presented instead. With prompt drop
    /// and 7 epochs, 0.2 raised accuracy on language-held-out cells from 0.151 to 0.289 (baseline 0.145), held-out
    /// templates 0.684 to 0.655; without prompt drop, at 0.25 and 6 epochs, training reached only 0.66-0.89 of its
    /// training prompts (stages/Training/README.md). 0 = off.
    /// </summary>
    [Range(0.0, 1.0)]
    public double CodeSwitchRate { get; set; } = 0.2;

    [Range(0, int.MaxValue)]
    public int Seed { get; set; } = 1234;

    [Required]
    public string CacheDir { get; set; } = ".cache/embedded-model";

    /// <summary>Also train a masked-LM twin, so the MLM code paths can run on embedded data (not built yet:
    /// refused).</summary>
    public bool MaskedTwin { get; set; }

    public IEnumerable<OptionError> Validate()
    {
        foreach (var e in OptionChecks.Check(this, SectionName))
            yield return e;
        if (Heads > 0 && DModel % Heads != 0)
            yield return new OptionError($"{SectionName}.d_model",
                $"must be divisible by embedded_model.heads ({Heads}); got {DModel}");
    }
}
