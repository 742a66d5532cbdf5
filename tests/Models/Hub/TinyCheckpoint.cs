using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KnPipeline.Tests.Models.Hub;

/// <summary>The files of a tiny GPT-2-shaped checkpoint, written byte by byte for Hub tests.</summary>
public static class TinyCheckpoint
{
    public static byte[] Config { get; } = Encoding.UTF8.GetBytes(
        """{"model_type": "gpt2", "n_embd": 64, "n_layer": 1, "n_head": 1, "vocab_size": 256, "n_positions": 16}""");

    public static byte[] Vocab { get; } = Encoding.UTF8.GetBytes("""{"a": 0, "b": 1, "ab": 2}""");

    public static byte[] Merges { get; } = Encoding.UTF8.GetBytes("#version: 0.2\na b\n");

    /// <summary>A safetensors file with one F32 tensor of <paramref name="rows"/> × 64 (256 bytes a row).</summary>
    public static byte[] Safetensors(string tensor = "wte.weight", int rows = 256, int seed = 0)
    {
        int dataBytes = rows * 64 * 4;
        string header =
            $$$"""{"{{{tensor}}}": {"dtype": "F32", "shape": [{{{rows}}}, 64], "data_offsets": [0, {{{dataBytes}}}]}}""";
        // Pad the header with spaces to a multiple of 8, as the safetensors writer does, so the data is aligned.
        header = header.PadRight((header.Length + 7) / 8 * 8);
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + headerBytes.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        var rng = new Random(seed);
        for (int i = 0; i < rows * 64; i++)
            BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(8 + headerBytes.Length + 4 * i), (float)rng.NextDouble());
        return file;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The git blob id the Hub sends as ETag for a regular (non-LFS) file.</summary>
    public static string GitBlobSha1(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));
}
