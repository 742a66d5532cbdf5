namespace KnPipeline;

/// <summary>
/// Bad usage, configuration or input that the user can fix: the message names the file, key or record and is shown
/// as is; the exit code is <see cref="ExitCodes.Usage"/>. Thrown from any layer of the host (config, graph, run
/// folder, hosting, commands).
/// </summary>
public sealed class UsageException(string message) : Exception(message);
