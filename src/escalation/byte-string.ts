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
