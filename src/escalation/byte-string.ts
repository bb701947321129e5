/**
 * File names and arguments are bytes; the protocol's JSON carries text. The exec hook writes
 * each byte that is not part of valid UTF-8 as a lone surrogate escape (`\udc80`-`\udcff`, as
 * Python's surrogateescape), so a name such as `ew-\xff` arrives losslessly instead of as U+FFFD.
 *
 * Guards E4 (naming tricks): the server can open exactly the file the sandbox named, and knows
 * when a string cannot be shown to a human or passed to a program as it is.
 */

/** True when `text` carries escaped bytes (or any lone surrogate): not faithful as text. */
export function hasEscapedBytes(text: string): boolean {
  return /[\ud800-\udfff]/u.test(text);
}

/** The bytes `text` stands for: escaped bytes as themselves, everything else as UTF-8. */
export function toBytes(text: string): Buffer {
  if (!hasEscapedBytes(text)) return Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  let run = "";
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const nextIsLow =
      i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff;
    if (isHigh && nextIsLow) {
      run += text.slice(i, i + 2);
      i++;
    } else if (unit >= 0xdc80 && unit <= 0xdcff) {
      parts.push(Buffer.from(run, "utf8"), Buffer.of(unit - 0xdc00));
      run = "";
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      // Any other lone surrogate has no byte meaning: keep it visible as U+FFFD.
      run += "\ufffd";
    } else {
      run += text[i];
    }
  }
  parts.push(Buffer.from(run, "utf8"));
  return Buffer.concat(parts);
}

/** Text for `bytes`: valid UTF-8 as itself, every other byte as its escape (the inverse of toBytes). */
export function fromBytes(bytes: Uint8Array): string {
  let text = "";
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      text += String.fromCharCode(0xdc00 + (bytes[i] as number));
      i++;
    } else {
      text += Buffer.from(bytes.subarray(i, i + length)).toString("utf8");
      i += length;
    }
  }
  return text;
}

/** Length of the valid UTF-8 sequence at `i`, or 0 (as the hook's encoder decides it). */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const first = bytes[i] as number;
  if (first < 0x80) return 1;
  const length =
    first >= 0xc2 && first <= 0xdf
      ? 2
      : first >= 0xe0 && first <= 0xef
        ? 3
        : first >= 0xf0 && first <= 0xf4
          ? 4
          : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  let codePoint = first & (length === 2 ? 0x1f : length === 3 ? 0x0f : 0x07);
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k] as number;
    if ((next & 0xc0) !== 0x80) return 0;
    codePoint = (codePoint << 6) | (next & 0x3f);
  }
  if (length === 3 && (codePoint < 0x800 || (codePoint >= 0xd800 && codePoint <= 0xdfff))) return 0;
  if (length === 4 && (codePoint < 0x10000 || codePoint > 0x10ffff)) return 0;
  return length;
}
