/**
 * The submodule entries (gitlinks, mode 160000) of a git index file, for git-exposure.ts.
 *
 * Guards against an escalated `git status` (and diff, fetch...) running git again inside a
 * submodule whose `.git` sits in the writable work tree: git recurses into every populated
 * gitlink of the index, with or without a `.gitmodules` (an embedded repository added with
 * `git add` is enough). Pure: the index's bytes in, the gitlink paths out, or undefined when the
 * file is not an index this reader fully understands (the caller fails closed).
 *
 * Format (gitformat-index(5)): "DIRC", version 2, 3 or 4, entry count; each entry has 40 bytes
 * of stat data (mode at offset 24), the object name (20 bytes, 32 with SHA-256), 16-bit flags,
 * in version 3+ optional 16-bit extended flags, then the path: NUL-terminated and padded to a
 * multiple of 8 bytes (versions 2 and 3), or prefix-compressed and unpadded (version 4). A split
 * index (`link` extension) keeps entries in another file: undefined.
 */

const GITLINK_MODE = 0o160000;
const MODE_TYPE_MASK = 0o170000;
const EXTENDED_FLAG = 0x4000;

/** The gitlink paths, or undefined when `index` cannot be read with either object name size. */
export function indexGitlinks(index: Uint8Array): readonly string[] | undefined {
  return readEntries(index, 20) ?? readEntries(index, 32);
}

function readEntries(index: Uint8Array, oidSize: number): string[] | undefined {
  const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
  const decoder = new TextDecoder();
  if (index.byteLength < 12 + oidSize) return undefined;
  if (decoder.decode(index.subarray(0, 4)) !== "DIRC") return undefined;
  const version = view.getUint32(4);
  if (version < 2 || version > 4) return undefined;
  const count = view.getUint32(8);
  const end = index.byteLength - oidSize; // the trailing checksum
  const gitlinks: string[] = [];
  let previous: Uint8Array = new Uint8Array(0);
  let at = 12;
  for (let n = 0; n < count; n++) {
    const start = at;
    if (at + 40 + oidSize + 2 > end) return undefined;
    const mode = view.getUint32(at + 24);
    const flags = view.getUint16(at + 40 + oidSize);
    at += 40 + oidSize + 2;
    if ((flags & EXTENDED_FLAG) !== 0) {
      if (version < 3) return undefined;
      at += 2;
    }
    let name: Uint8Array;
    if (version === 4) {
      let strip = 0;
      let byte: number;
      // git's offset varint: 7 bits a byte, each continuation adds one before shifting.
      do {
        if (at >= end) return undefined;
        byte = index[at++] as number;
        strip = (strip << 7) | (byte & 0x7f);
        if ((byte & 0x80) !== 0) strip++;
      } while ((byte & 0x80) !== 0 && strip < 1 << 20);
      if (strip > previous.length) return undefined;
      const nul = index.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      const suffix = index.subarray(at, nul);
      name = new Uint8Array(previous.length - strip + suffix.length);
      name.set(previous.subarray(0, previous.length - strip));
      name.set(suffix, previous.length - strip);
      at = nul + 1;
    } else {
      const nul = index.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      name = index.subarray(at, nul);
      at = start + Math.ceil((nul + 1 - start) / 8) * 8;
      // The padding is NUL bytes: anything else means the object name size is wrong.
      for (let k = nul; k < at; k++) if (index[k] !== 0) return undefined;
    }
    const nameLength = flags & 0x0fff;
    if (nameLength !== 0x0fff && nameLength !== name.length) return undefined;
    if ((mode & MODE_TYPE_MASK) === GITLINK_MODE) gitlinks.push(decoder.decode(name));
    previous = name;
  }
  // Extensions: a split index keeps its entries elsewhere.
  while (at + 8 <= end) {
    const signature = decoder.decode(index.subarray(at, at + 4));
    if (signature === "link") return undefined;
    at += 8 + view.getUint32(at + 4);
  }
  return at === end ? gitlinks : undefined;
}
