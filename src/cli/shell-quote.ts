/**
 * `execward run -- WORD...`: the words become one command string for the shell that, parsed by
 * any POSIX shell, gives back exactly those words (single-quoted where needed, `'` as `'\''`).
 * One word is taken as the command string itself, as written.
 */

/** Characters no POSIX shell treats specially in a word (not first-word `=`: see below). */
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

export function quoteShellWord(word: string): string {
  // `=` is left out of the safe set: `a=b` as a first word would be an assignment, not a program.
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function commandStringFromWords(words: readonly string[]): string {
  if (words.length === 1) return words[0] as string;
  return words.map(quoteShellWord).join(" ");
}
