using System.CommandLine;
using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Cli;

/// <summary><c>pipeline self-check</c>: TorchSharp loads, and a small model built in memory runs forward and backward.</summary>
public static class SelfCheckCommand
{
    public static Command Create()
    {
        var cmd = new Command("self-check", "Check that TorchSharp loads and a small model runs forward and backward");
        cmd.SetAction((_, ct) => RunAsync(ct));
        return cmd;
    }

    public static Task<int> RunAsync(CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var model = nn.Sequential(("fc1", nn.Linear(16, 32)), ("act", nn.GELU()), ("fc2", nn.Linear(32, 4)));
        var x = randn(8, 16);
        var loss = nn.functional.cross_entropy(model.call(x), randint(0, 4, [8]));
        loss.backward();
        double gradNorm = model.parameters().Sum(p => p.grad!.norm().item<float>());
        Console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version} on {(cuda.is_available() ? "cuda" : "cpu")}, " +
                          $"{get_num_threads()} threads: forward loss {loss.item<float>():F4}, gradient norm {gradNorm:F4}");
        return Task.FromResult(gradNorm > 0 && float.IsFinite(loss.item<float>()) ? ExitCodes.Ok : ExitCodes.Failure);
    }
}
