using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models;

/// <summary>Maps the config's <c>device</c> and <c>dtype</c> strings onto TorchSharp.</summary>
public static class DeviceSelector
{
    /// <summary>auto (CUDA when available, else CPU), cpu, cuda or cuda:N.</summary>
    public static Device Select(string device)
    {
        switch (device)
        {
            case "auto":
                return cuda.is_available() ? CUDA : CPU;
            case "cpu":
                return CPU;
            default:
                if (!device.StartsWith("cuda", StringComparison.Ordinal))
                    throw new ArgumentException($"device '{device}' is not one of auto, cpu, cuda, cuda:N");
                // Asking for CUDA explicitly loads the CUDA backend, which throws with the native load trace when
                // absent.
                InitializeDeviceType(DeviceType.CUDA);
                return new Device(device);
        }
    }

    public static ScalarType DType(string dtype) => dtype switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => throw new ArgumentException($"dtype '{dtype}' is not one of float32, bfloat16, float16"),
    };

    /// <summary>
    /// The process-wide libtorch settings of a run: the intra-op thread count (0 keeps libtorch's default) and the
    /// global seed.
    /// </summary>
    public static void ConfigureProcess(int threads, long seed)
    {
        if (threads > 0)
            torch.set_num_threads(threads);
        torch.manual_seed(seed);
    }
}
