using System.CommandLine;
using KnPipeline.Stages.Models;

namespace KnPipeline.Cli;

/// <summary>
/// The input options shared by <c>inspect-model</c> and <c>attribute</c>: a text prompt, or ids used verbatim (no BOS or
/// special token added) with optional segment ids.
/// </summary>
public sealed class ModelInputOptions
{
    public Option<string?> Prompt { get; } = new("--prompt") { Description = "Text prompt (encoded as the model expects: BOS, or [CLS] … [SEP])" };
    public Option<string?> InputIds { get; } = new("--input-ids") { Description = "Comma-separated token ids, used verbatim" };
    public Option<string?> TokenTypeIds { get; } = new("--token-type-ids") { Description = "Comma-separated segment ids (BERT family)" };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Prompt);
        cmd.Options.Add(InputIds);
        cmd.Options.Add(TokenTypeIds);
    }

    /// <summary>The ids and segment ids to run; exactly one of --prompt and --input-ids must be given.</summary>
    public (int[] Ids, int[]? Types) Resolve(ParseResult pr, LoadedModel m)
    {
        string? prompt = pr.GetValue(Prompt), ids = pr.GetValue(InputIds), types = pr.GetValue(TokenTypeIds);
        if ((prompt is null) == (ids is null))
            throw new UsageException("give exactly one of --prompt and --input-ids");
        int[] tokens;
        if (prompt is not null)
        {
            if (m.Tokenizer is null)
                throw new UsageException($"{m.Location.LocalDir} has no tokenizer files: use --input-ids");
            tokens = m.Tokenizer.EncodePrompt(prompt);
        }
        else
            tokens = ParseIds(ids!, "--input-ids");
        if (tokens.Length == 0)
            throw new UsageException("the input is empty");
        if (tokens.Any(t => t < 0 || t >= m.Model.VocabSize))
            throw new UsageException($"an input id lies outside the vocabulary of {m.Model.VocabSize}");
        int[]? segments = null;
        if (m.Model.Family == "bert")
        {
            segments = types is null ? m.DefaultTokenTypes(tokens) : ParseIds(types, "--token-type-ids");
            if (segments.Length != tokens.Length)
                throw new UsageException($"--token-type-ids has {segments.Length} values for {tokens.Length} input ids");
        }
        else if (types is not null)
            throw new UsageException("--token-type-ids only applies to BERT-family models");
        return (tokens, segments);
    }

    public static int[] ParseIds(string text, string option)
    {
        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        }
        catch (FormatException)
        {
            throw new UsageException($"{option} must be comma-separated integers; got '{text}'");
        }
    }
}
