namespace KnPipeline.Config;

/// <summary>
/// One configuration error, printed as one line: <c>pipeline.yaml:7:3: attribution.stepz: unknown key (did you mean
/// 'steps'?)</c>. <see cref="Source"/> is the file as the user named it, or <c>--set key=value</c> for an override;
/// <see cref="Line"/> and <see cref="Column"/> are 1-based and 0 when unknown; <see cref="Key"/> is the YAML key path.
/// </summary>
public sealed record ConfigError(string Source, int Line, int Column, string? Key, string Message)
{
    public override string ToString()
    {
        string where = Source.Length == 0 ? "" : Line > 0 ? $"{Source}:{Line}:{Column}: " : $"{Source}: ";
        string key = string.IsNullOrEmpty(Key) ? "" : $"{Key}: ";
        return where + key + Message;
    }
}
