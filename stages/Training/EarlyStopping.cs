namespace KnPipeline.Stages.Training;

/// <summary>Training prompts per language for early stopping: a seeded sample, and all of them for confirmation.</summary>
public sealed record EarlyStopping(IReadOnlyDictionary<string, List<PromptScorer.Query>> Sample,
                                   IReadOnlyDictionary<string, List<PromptScorer.Query>> All);
