// Makes TorchSharp's libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).
//
// The library is linked against GCC 13's libstdc++ and so carries a version-needed entry for GLIBCXX_3.4.32, which
// glibc checks at load time. The only symbol of that version is _ZSt21ios_base_library_initv, which GCC 13 headers
// reference with a bare .globl and which no relocation uses. Marking the Elf64_Vernaux entry weak (VER_FLG_WEAK)
// turns glibc's hard failure into nothing, and the library works.
//
// This file is compiled twice: as an MSBuild inline task (build/GlibcxxCompat.targets runs it after every build and
// publish that copies the library), and into the tests with KN_ELF_ONLY defined, which test the ELF code directly.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace KnPipeline.Build
{
    /// <summary>Reads and edits the GNU symbol-versioning sections of 64-bit little-endian ELF shared objects.</summary>
    public static class ElfVersioning
    {
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        public const ushort VerFlgWeak = 0x2;

        /// <summary>One Elf64_Vernaux entry: a version this object needs from one of its dependencies.</summary>
        public sealed class NeededVersion
        {
            public string File = "";
            public string Name = "";
            public ushort Flags;
            /// <summary>Byte offset of the entry's vna_flags field in the file.</summary>
            public long FlagsOffset;
            public bool IsWeak => (Flags & VerFlgWeak) != 0;
        }

        /// <summary>The version names an object defines (.gnu.version_d), for example GLIBCXX_3.4.30 in libstdc++.</summary>
        public static List<string> DefinedVersions(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var result = new List<string>();
            foreach (var (offset, size, link, type) in Sections(bytes, path))
            {
                if (type != ShtGnuVerdef)
                    continue;
                var (strOff, _, _, _) = Sections(bytes, path)[(int)link];
                long entry = offset;
                while (true)
                {
                    ushort cnt = U16(bytes, entry + 6);
                    uint aux = U32(bytes, entry + 12);
                    uint next = U32(bytes, entry + 16);
                    if (cnt > 0)
                        result.Add(CString(bytes, strOff + U32(bytes, entry + aux)));
                    if (next == 0)
                        break;
                    entry += next;
                }
            }
            return result;
        }

        /// <summary>Every version-needed entry (.gnu.version_r) of an object.</summary>
        public static List<NeededVersion> NeededVersions(string path) => NeededVersions(File.ReadAllBytes(path), path);

        private static List<NeededVersion> NeededVersions(byte[] bytes, string path)
        {
            var sections = Sections(bytes, path);
            var result = new List<NeededVersion>();
            foreach (var (offset, _, link, type) in sections)
            {
                if (type != ShtGnuVerneed)
                    continue;
                long strOff = sections[(int)link].Offset;
                long need = offset;
                while (true)
                {
                    ushort cnt = U16(bytes, need + 2);
                    string file = CString(bytes, strOff + U32(bytes, need + 4));
                    long aux = need + U32(bytes, need + 8);
                    for (int i = 0; i < cnt; i++)
                    {
                        result.Add(new NeededVersion
                        {
                            File = file,
                            Name = CString(bytes, strOff + U32(bytes, aux + 8)),
                            Flags = U16(bytes, aux + 4),
                            FlagsOffset = aux + 4,
                        });
                        uint auxNext = U32(bytes, aux + 12);
                        if (auxNext == 0)
                            break;
                        aux += auxNext;
                    }
                    uint next = U32(bytes, need + 12);
                    if (next == 0)
                        break;
                    need += next;
                }
            }
            return result;
        }

        /// <summary>
        /// Marks the version-needed entry <paramref name="version"/> weak. Returns true when the file changed; false
        /// when it was already weak or does not need that version. The file is rewritten through a temporary copy and
        /// renamed over the original, so a hard link into the NuGet cache is never written through.
        /// </summary>
        public static bool MarkNeededVersionWeak(string path, string version)
        {
            var bytes = File.ReadAllBytes(path);
            bool changed = false;
            foreach (var need in NeededVersions(bytes, path))
            {
                if (need.Name != version || need.IsWeak)
                    continue;
                ushort flags = (ushort)(need.Flags | VerFlgWeak);
                bytes[need.FlagsOffset] = (byte)(flags & 0xff);
                bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
                changed = true;
            }
            if (!changed)
                return false;
            // File.Copy keeps the permission bits; the rename then replaces the directory entry, not the inode.
            string tmp = path + ".glibcxx-tmp";
            File.Copy(path, tmp, true);
            File.WriteAllBytes(tmp, bytes);
            File.Delete(path);
            File.Move(tmp, path);
            return true;
        }

        /// <summary>The system libstdc++ the dynamic loader would pick, or null if none is found in the usual places.</summary>
        public static string? SystemLibStdCxx()
        {
            string[] candidates =
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
            };
            foreach (var c in candidates)
                if (File.Exists(c))
                    return c;
            return null;
        }

        private static List<(long Offset, long Size, uint Link, uint Type)> Sections(byte[] b, string path)
        {
            if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
                throw new InvalidDataException($"{path}: not an ELF file");
            if (b[4] != 2 || b[5] != 1)
                throw new InvalidDataException($"{path}: only 64-bit little-endian ELF is supported");
            long shoff = (long)U64(b, 0x28);
            ushort shentsize = U16(b, 0x3a);
            ushort shnum = U16(b, 0x3c);
            if (shoff <= 0 || shoff + (long)shnum * shentsize > b.Length)
                throw new InvalidDataException($"{path}: section header table out of range");
            var list = new List<(long, long, uint, uint)>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                list.Add(((long)U64(b, h + 0x18), (long)U64(b, h + 0x20), U32(b, h + 0x28), U32(b, h + 4)));
            }
            return list;
        }

        private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
        private static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
        private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

        private static string CString(byte[] b, long o)
        {
            long end = o;
            while (end < b.Length && b[end] != 0)
                end++;
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }
    }
}

#if !KN_ELF_ONLY
namespace KnPipeline.Build
{
    /// <summary>MSBuild task: patch the copied libLibTorchSharp.so in an output folder when the system needs it.</summary>
    public class PatchGlibcxxWeak : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string Directory { get; set; } = "";

        public string Version { get; set; } = "GLIBCXX_3.4.32";

        public override bool Execute()
        {
            string lib = System.IO.Path.Combine(Directory, "libLibTorchSharp.so");
            if (!File.Exists(lib))
                return true;
            string? std = ElfVersioning.SystemLibStdCxx();
            if (std != null && ElfVersioning.DefinedVersions(std).Contains(Version))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"{std} defines {Version}; no patch needed");
                return true;
            }
            if (ElfVersioning.MarkNeededVersionWeak(lib, Version))
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    $"GLIBCXX compatibility: marked {Version} weak in {lib} (system libstdc++ lacks it)");
            return true;
        }
    }
}
#endif
