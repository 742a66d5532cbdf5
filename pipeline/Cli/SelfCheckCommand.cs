using System.CommandLine;
using KnPipeline.Stages.Models;

namespace KnPipeline.Cli;

/// <summary><c>pipeline self-check</c>: TorchSharp loads, and a small model built in memory runs forward and
/// backward.</summary>
public static class SelfCheckCommand
{
    public static Command Create()
    {
        var cmd = new Command("self-check", "Check that TorchSharp loads and a small model runs forward and backward");
        cmd.SetAction((_, _) =>
        {
            var r = SelfCheck.Run();
            Console.WriteLine($"TorchSharp {r.TorchSharpVersion} on {r.Device}, {r.Threads} threads: forward loss " +
                              $"{r.Loss:F4}, gradient norm {r.GradientNorm:F4}");
            return Task.FromResult(r.Ok ? ExitCodes.Ok : ExitCodes.Failure);
        });
        return cmd;
    }
}
