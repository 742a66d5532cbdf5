using KnPipeline.Stages.Models.Core;

namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// Opens the tokenizer of a Hugging Face model folder, choosing by the files present, in this order: tokenizer.json
/// (our own implementation of the HF pipeline), vocab.json + merges.txt (GPT-2 byte-level BPE), vocab.txt (BERT
/// WordPiece), tokenizer.model (SentencePiece). Special tokens and BOS come from tokenizer_config.json,
/// special_tokens_map.json and config.json beside them.
/// </summary>
public static class TokenizerFactory
{
    /// <summary>The files looked for, in order of preference.</summary>
    public static IReadOnlyList<string> KnownFiles { get; } =
        ["tokenizer.json", "vocab.json + merges.txt", "vocab.txt", "tokenizer.model"];

    // Every file FromModelFolder may read, tokenizer and configuration alike.
    private static readonly string[] ReadFiles =
    [
        "tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer.model", "tokenizer_config.json",
        "special_tokens_map.json", "config.json",
    ];

    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">No tokenizer file: the message names the folder and the files; or a
    /// file is a dangling link: the message names it and its target.</exception>
    /// <exception cref="InvalidDataException">A tokenizer or config file is malformed: the message names
    /// it.</exception>
    public static ITextTokenizer FromModelFolder(string dir)
    {
        string full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"Tokenizer folder '{full}' does not exist");
        string F(string name) => Path.Combine(full, name);
        // File.Exists is true for a snapshot link whose blob was deleted; reading it would fail with "Could not find
        // file" on a name that ls lists. Say which link dangles, before a tokenizer is chosen by the files present.
        foreach (string name in ReadFiles)
            if (LinkedFiles.IsDangling(F(name)))
                throw LinkedFiles.NotFound(F(name));

        var config = TokenizerFolderConfig.Read(full);
        if (File.Exists(F("tokenizer.json")))
            return HfTokenizer.FromTokenizerJson(F("tokenizer.json"), config);
        if (File.Exists(F("vocab.json")) && File.Exists(F("merges.txt")))
            return HfTokenizer.FromVocabAndMerges(F("vocab.json"), F("merges.txt"), config);
        if (File.Exists(F("vocab.txt")))
            return WordPieceTextTokenizer.FromVocabFile(F("vocab.txt"), config);
        if (File.Exists(F("tokenizer.model")))
            return SentencePieceTextTokenizer.FromModelFile(F("tokenizer.model"), config);

        string partial = File.Exists(F("vocab.json")) ? " (vocab.json is there but merges.txt is missing)"
            : File.Exists(F("merges.txt")) ? " (merges.txt is there but vocab.json is missing)" : "";
        throw new FileNotFoundException(
            $"No tokenizer found in '{full}': looked for {string.Join(", ", KnownFiles)}{partial}");
    }
}
