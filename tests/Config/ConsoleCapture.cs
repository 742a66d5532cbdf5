namespace KnPipeline.Tests.Config;

/// <summary>Redirects stdout and stderr to strings until disposed.</summary>
public sealed class ConsoleCapture : IDisposable
{
    private readonly TextWriter _out = Console.Out, _error = Console.Error;
    private readonly StringWriter _capturedOut = new(), _capturedError = new();

    public ConsoleCapture()
    {
        Console.SetOut(_capturedOut);
        Console.SetError(_capturedError);
    }

    public string Out => _capturedOut.ToString();

    public string Error => _capturedError.ToString();

    public void Dispose()
    {
        Console.SetOut(_out);
        Console.SetError(_error);
    }
}
