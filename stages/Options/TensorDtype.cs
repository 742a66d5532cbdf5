namespace KnPipeline.Stages.Options;

/// <summary>
/// Floating-point type of model weights and activations (<c>run.dtype</c>): float32, bfloat16 or float16.
/// </summary>
public enum TensorDtype
{
    Float32,
    Bfloat16,
    Float16,
}
