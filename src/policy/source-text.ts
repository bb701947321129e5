/**
 * A rules file's text with a line table, turning offsets into 1-based line:column positions.
 *
 * Columns count Unicode code points, so a position points at the same character an editor shows.
 */
import type { SourceLocation } from "./policy-error.js";

export class SourceText {
  readonly path: string;
  readonly text: string;
  private readonly lineStarts: readonly number[];

  constructor(path: string, text: string) {
    this.path = path;
    this.text = text;
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  /** The 1-based line of the UTF-16 offset `offset` (a binary search, no scan). */
  lineOf(offset: number): number {
    return this.lineIndex(offset) + 1;
  }

  /** The location of the UTF-16 offset `offset`. */
  locate(offset: number): SourceLocation {
    const low = this.lineIndex(offset);
    const lineStart = this.lineStarts[low] ?? 0;
    const column = [...this.text.slice(lineStart, offset)].length + 1;
    return { path: this.path, line: low + 1, column };
  }

  private lineIndex(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}
