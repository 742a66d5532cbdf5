using System.Text;

namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>
/// Builds a SentencePiece "precompiled_charsmap" for tests: a darts-clone double array over the UTF-8 keys (unit =
/// offset &lt;&lt; 10 | has_leaf &lt;&lt; 8 | label; a leaf's value unit sits at node ^ offset with bit 31 set),
/// preceded by its byte size and followed by the NUL-terminated replacements.
/// </summary>
internal static class PrecompiledCharsMap
{
    public static string Base64(IReadOnlyDictionary<string, string> rules)
    {
        var blob = new List<byte>();
        var root = new Node();
        foreach (var (key, value) in rules)
        {
            var n = root;
            foreach (byte b in Encoding.UTF8.GetBytes(key))
                n = n.Children.TryGetValue(b, out var c) ? c : n.Children[b] = new Node();
            n.Value = blob.Count;
            blob.AddRange(Encoding.UTF8.GetBytes(value));
            blob.Add(0);
        }
        var units = new Dictionary<int, uint>();
        var used = new HashSet<int> { 0 };
        Place(root, 0, 0, units, used);
        var bytes = new List<byte>();
        int size = units.Keys.Max() + 1;
        bytes.AddRange(BitConverter.GetBytes((uint)(size * 4)));
        for (int i = 0; i < size; i++)
            bytes.AddRange(BitConverter.GetBytes(units.GetValueOrDefault(i)));
        bytes.AddRange(blob);
        return Convert.ToBase64String(bytes.ToArray());
    }

    private static void Place(Node node, int pos, byte label, Dictionary<int, uint> units, HashSet<int> used)
    {
        // The smallest offset whose child slots (pos ^ offset ^ byte) and value slot (pos ^ offset) are all free.
        int offset = 1;
        while (Slots(node, pos, offset).Any(s => s == 0 || used.Contains(s)))
            offset++;
        foreach (int s in Slots(node, pos, offset))
            used.Add(s);
        units[pos] = (uint)(offset << 10) | (node.Value != null ? 1u << 8 : 0) | label;
        if (node.Value is int v)
            units[pos ^ offset] = (uint)v | 0x80000000u;
        foreach (var (b, child) in node.Children)
            Place(child, pos ^ offset ^ b, b, units, used);
    }

    private static IEnumerable<int> Slots(Node node, int pos, int offset) =>
        node.Children.Keys.Select(b => pos ^ offset ^ b).Concat(node.Value != null ? [pos ^ offset] : []);

    private sealed class Node
    {
        public Dictionary<byte, Node> Children { get; } = new();
        public int? Value { get; set; }
    }
}
