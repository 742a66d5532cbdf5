namespace KnPipeline.Stages.Training;

/// <summary>One training sentence: token ids (ending in EOS) and where the object's tokens are (length 0 for filler).</summary>
public sealed record TrainingRow(string Language, int[] Ids, int ObjectStart, int ObjectLength);
