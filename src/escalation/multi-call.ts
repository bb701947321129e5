/**
 * Multi-call binaries (busybox, toybox): `busybox rm f` runs busybox's own rm, in the same
 * process, with no exec of anything named rm. A rule about `rm` must hold there too, so such an
 * exec is also judged as `[applet, args...]`. The ask list always names these binaries, so the
 * hook's and the exec supervisor's fast paths never skip them.
 */
import path from "node:path";

export const MULTI_CALL_PROGRAMS: readonly string[] = ["busybox", "toybox"];

export function isMultiCallName(file: string): boolean {
  return MULTI_CALL_PROGRAMS.includes(path.basename(file));
}

/** The applet a multi-call binary's argv runs, with its arguments; undefined: none (`--list`). */
export function appletCommand(argv: readonly string[]): readonly string[] | undefined {
  const applet = argv[1];
  if (applet === undefined || applet === "" || applet.startsWith("-")) return undefined;
  return argv.slice(1);
}
