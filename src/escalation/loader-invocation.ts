/**
 * The dynamic loader run as a program (`/lib64/ld-linux-x86-64.so.2 [options] PROGRAM args`)
 * maps PROGRAM without any exec of it, so a rule about PROGRAM must see through the loader.
 * Mirrors native/common/escalate_loader.c (the hook and the exec supervisor): glibc's options,
 * a few with one value; the first other word is the program; an unknown option is a loader
 * execward cannot read, and the exec is refused rather than guessed at.
 */
import path from "node:path";

const FLAGS = new Set([
  "--list",
  "--verify",
  "--inhibit-cache",
  "--list-tunables",
  "--list-diagnostics",
  "--help",
  "--version",
]);
const WITH_VALUE = new Set([
  "--library-path",
  "--inhibit-rpath",
  "--audit",
  "--preload",
  "--argv0",
  "--glibc-hwcaps-prepend",
  "--glibc-hwcaps-mask",
]);

/** Whether a file name is a dynamic loader's (ld-linux*.so*, ld-musl-*.so*, ld.so*, ld64.so*). */
export function isLoaderName(file: string): boolean {
  const base = path.basename(file);
  return /^(ld-|ld\.so|ld64\.so)/.test(base) && base.includes(".so");
}

/**
 * For a loader's argv (argv[0] included): the index of the program it runs, "unknown" when an
 * option is not one execward knows, or undefined when it runs no program (usage).
 */
export function loadedProgramIndex(argv: readonly string[]): number | "unknown" | undefined {
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (FLAGS.has(word)) continue;
    if (WITH_VALUE.has(word)) {
      if (i + 1 >= argv.length) return undefined;
      i++;
      continue;
    }
    return word.startsWith("-") ? "unknown" : i;
  }
  return undefined;
}
