using System.Text.Json.Nodes;

namespace KnPipeline.Tests.Support;

/// <summary>Small accessors for golden JSON files.</summary>
public static class Json
{
    public static JsonNode Load(string path) => JsonNode.Parse(File.ReadAllText(path))!;
    public static float[] Floats(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
    public static int[] Ints(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
    public static long[] Longs(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
    public static double D(JsonNode? n) => n!.GetValue<double>();

    public static void Close(float[] expected, float[] actual, double tol, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        Xunit.Assert.True(worst <= tol, $"{what}: max |diff| {worst:G4} at {at} exceeds {tol:G4}");
    }

    public static void Close(double expected, double actual, double tol, string what) =>
        Xunit.Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:G9}, got {actual:G9} (tol {tol:G3})");
}
