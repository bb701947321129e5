/**
 * What an exec request really names, found by the server itself, never taken from the request.
 *
 * Guards E2 (exactly the judged file runs) and E4 (forbidden cannot be dodged by naming):
 * - The program is resolved in the REQUESTER's view: through `/proc/<peer pid>/root` (the pid
 *   comes from the kernel, SO_PEERCRED, not from the request) with openat2(RESOLVE_IN_ROOT |
 *   RESOLVE_NO_MAGICLINKS), so symlinks in mounts only the sandbox has (/dev/shm, a tmpfs) are
 *   followed as the sandbox's kernel would, and `/proc/self/fd/N` cannot reach the server's own
 *   descriptors. Magic links (/dev/fd/N, /dev/stdin) cannot be followed from outside: then the
 *   hook's claim (`resolved`) names the program, for judging only.
 * - `#!` interpreters are read from the file itself (the kernel's rules: up to 4 levels), each
 *   resolved the same way.
 * - For escalation, every file of the chain and the working directory must be the same inode
 *   (device and inode) at the same path on the host; the host descriptors are kept open and the
 *   launcher starts the program from them. Anything that does not match (a file only the
 *   sandbox has, a path that resolves elsewhere on the host) leaves `host` undefined, with the
 *   reason: the policy then never escalates.
 * Every descriptor opened here is owned by the returned inspection (`close()`), or closed.
 */
import { constants } from "node:fs";
import path from "node:path";

import { fromBytes, hasEscapedBytes, toBytes } from "./byte-string.js";
import type { FdPassing } from "../native/native-addon.js";

const O_PATH = 0o10000000;
const O_DIRECTORY = constants.O_DIRECTORY;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;
const AT_FDCWD = -100;
/** The kernel follows five levels of `#!` (a sixth is ELOOP); a longer chain cannot be judged. */
const MAX_INTERPRETERS = 5;
/** The kernel reads this much of a file to find `#!` (BINPRM_BUF_SIZE). */
const SHEBANG_BYTES = 256;

/** One file as the requester's kernel would find it. */
export interface ViewedFile {
  /** The path as named (in the request or a `#!` line), absolute. */
  readonly named: string;
  /** Its canonical path in the requester's view; undefined when it could not be resolved there. */
  readonly canonical: string | undefined;
  /** True when the named path leads, on the host too, to the same inode. */
  readonly namedOnHost: boolean;
}

export interface Interpreter {
  readonly file: ViewedFile;
  /** The optional single argument of the `#!` line. */
  readonly arg: string | undefined;
}

/** What escalation runs: the judged inodes, open on the host. */
export interface HostLaunch {
  /** O_PATH descriptor of the program file on the host (owned by the inspection). */
  readonly programFd: number;
  /** Its real host path. */
  readonly programPath: string;
  /** The program is a `#!` script (started by path after an identity check, see the launcher). */
  readonly script: boolean;
  /** Real host paths of the interpreters, innermost first. */
  readonly interpreterPaths: readonly string[];
  /** O_PATH descriptor of the working directory on the host (owned by the inspection). */
  readonly workdirFd: number;
  readonly workdirPath: string;
}

export interface ProgramInspection {
  readonly program: ViewedFile;
  /** The `#!` chain, innermost first (the program's own interpreter, then that one's...). */
  readonly interpreters: readonly Interpreter[];
  /** A program with no name: a memfd or a deleted file run through a descriptor. */
  readonly anonymous: boolean;
  /** The program file's device and inode in the requester's view (undefined: not found there). */
  readonly identity?: { readonly dev: bigint; readonly ino: bigint } | undefined;
  /**
   * Why what would run cannot be known (an interpreter behind a magic link, a file execward
   * cannot read, too many `#!` levels...): then nothing runs, in the sandbox or outside.
   */
  readonly unjudgeable: string | undefined;
  /** Present when escalation can run exactly the judged files. */
  readonly host: HostLaunch | undefined;
  /** Why `host` is undefined. */
  readonly hostProblem: string | undefined;
  /** Closes the descriptors this inspection holds. */
  close(): void;
}

export interface InspectInput {
  /** The requester's pid in this process's pid namespace (0: not visible from here). */
  readonly pid: number;
  /** The program, absolute in the requester's view (may carry escaped bytes). */
  readonly file: string;
  readonly workdir: string;
  /** The hook's own resolution of a program named through a magic link (a claim). */
  readonly claimedResolved?: string | undefined;
}

interface Opened {
  readonly fd: number;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly canonical: string;
  readonly regular: boolean;
}

/** Inspects a request; never throws (failures become `hostProblem` / undefined canonical paths). */
export function inspectProgram(addon: FdPassing, input: InspectInput): ProgramInspection {
  const held: number[] = [];
  const hold = (opened: Opened | undefined): Opened | undefined => {
    if (opened !== undefined) held.push(opened.fd);
    return opened;
  };
  const close = (): void => {
    for (const fd of held.splice(0)) closeQuietly(addon, fd);
  };
  let root: number | undefined;
  try {
    root =
      input.pid > 0
        ? tryOpen(addon, AT_FDCWD, `/proc/${input.pid}/root`, O_PATH | O_DIRECTORY, 0)
        : undefined;
    const inView = (file: string, directory = false): Opened | undefined =>
      root === undefined
        ? undefined
        : hold(
            tryOpenViewed(
              addon,
              root,
              file,
              O_PATH | (directory ? O_DIRECTORY : 0),
              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
            ),
          );
    const onHost = (file: string, directory = false): Opened | undefined =>
      hold(
        tryOpenViewed(
          addon,
          AT_FDCWD,
          file,
          O_PATH | (directory ? O_DIRECTORY : 0),
          RESOLVE_NO_MAGICLINKS,
        ),
      );
    /** Whether `file` leads, on the host, to the same inode as `opened` (nothing is held). */
    const sameOnHost = (file: string, opened: Opened): boolean =>
      addon.sameFileAt(
        AT_FDCWD,
        toBytes(file),
        O_PATH,
        RESOLVE_NO_MAGICLINKS,
        opened.dev,
        opened.ino,
      );

    let problem: string | undefined =
      root === undefined ? "execward cannot see the requesting process (no peer pid)" : undefined;
    const fail = (why: string): void => {
      problem ??= why;
    };
    // Only with the requester's view can the server know; without it (a peer it cannot see) the
    // hook's names are all there is, and nothing escalates.
    let unjudgeable: string | undefined;
    const cannotJudge = (why: string): void => {
      if (root !== undefined) unjudgeable ??= why;
      fail(why);
    };

    let program = inView(input.file);
    if (program === undefined && input.claimedResolved !== undefined) {
      program = inView(input.claimedResolved);
      if (program !== undefined) fail(`${input.file} is named through a descriptor link`);
    }
    const claimed = input.claimedResolved;
    const anonymous =
      program === undefined &&
      (isAnonymousName(input.file) || (claimed !== undefined && isAnonymousName(claimed)));
    const programFile: ViewedFile = {
      named: input.file,
      canonical:
        program?.canonical ??
        (claimed !== undefined && !isAnonymousName(claimed) ? claimed : undefined),
      namedOnHost: program !== undefined && sameOnHost(input.file, program),
    };
    // A named program execward cannot open in the requester's view has an unknown #! chain: a
    // claimed name alone says nothing of which interpreter the kernel would start.
    if (program === undefined && !anonymous)
      cannotJudge(`${input.file} cannot be resolved in the sandbox's view`);
    else if (program === undefined) fail(`${input.file} cannot be resolved in the sandbox's view`);

    // The #! chain, in the requester's view; each level must be the same file on the host.
    const interpreters: Interpreter[] = [];
    const hostChain: Opened[] = [];
    let current = program;
    for (let level = 0; current !== undefined && current.regular; level++) {
      const hostMatch = onHost(current.canonical);
      if (hostMatch === undefined || !sameInode(current, hostMatch))
        fail(`${current.canonical} is not the same file outside the sandbox`);
      else hostChain.push(hostMatch);
      const shebang = readShebang(addon, current.fd);
      if (shebang === "unreadable") {
        cannotJudge(`execward cannot read ${current.canonical} to see which interpreter runs it`);
        break;
      }
      if (shebang === undefined) break;
      if (level === MAX_INTERPRETERS) {
        cannotJudge(`more than ${MAX_INTERPRETERS} levels of #! interpreters`);
        break;
      }
      // A relative interpreter is found from the exec'ing process's directory, as the kernel does.
      const named = path.resolve(input.workdir, shebang.interpreter);
      const next = inView(named);
      interpreters.push({
        file: {
          named,
          canonical: next?.canonical,
          namedOnHost: next !== undefined && sameOnHost(named, next),
        },
        arg: shebang.arg,
      });
      if (next === undefined)
        cannotJudge(`the interpreter ${named} cannot be resolved in the sandbox's view`);
      current = next;
    }

    const workdirView = inView(input.workdir, true);
    const workdirHost = workdirView === undefined ? undefined : onHost(workdirView.canonical, true);
    if (
      workdirView === undefined ||
      workdirHost === undefined ||
      !sameInode(workdirView, workdirHost)
    )
      fail(`the working directory ${input.workdir} exists only inside the sandbox`);
    if (hasEscapedBytes(input.file) || hasEscapedBytes(input.workdir))
      fail("the program's name or working directory is not valid UTF-8");

    const hostProgram = hostChain[0];
    const host: HostLaunch | undefined =
      problem === undefined && hostProgram !== undefined && workdirHost !== undefined
        ? {
            programFd: hostProgram.fd,
            programPath: hostProgram.canonical,
            script: interpreters.length > 0,
            interpreterPaths: hostChain.slice(1).map((opened) => opened.canonical),
            workdirFd: workdirHost.fd,
            workdirPath: workdirHost.canonical,
          }
        : undefined;
    return {
      program: programFile,
      interpreters,
      anonymous,
      identity: program === undefined ? undefined : { dev: program.dev, ino: program.ino },
      unjudgeable,
      host,
      hostProblem:
        host === undefined ? (problem ?? "execward could not verify the program") : undefined,
      close,
    };
  } catch (error) {
    close();
    throw error;
  } finally {
    if (root !== undefined) closeQuietly(addon, root);
  }
}

/** A name the kernel gives a file that has no path: `memfd:x (deleted)`, `/tmp/f (deleted)`. */
export function isAnonymousName(name: string): boolean {
  return !name.startsWith("/") || name.startsWith("/memfd:") || name.endsWith(" (deleted)");
}

function sameInode(a: Opened, b: Opened): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function tryOpen(
  addon: FdPassing,
  dirfd: number,
  file: string,
  flags: number,
  resolve: number,
): number | undefined {
  try {
    return addon.openAt2(dirfd, toBytes(file), flags, resolve);
  } catch {
    return undefined;
  }
}

function tryOpenViewed(
  addon: FdPassing,
  dirfd: number,
  file: string,
  flags: number,
  resolve: number,
): Opened | undefined {
  return addon.openViewed(dirfd, toBytes(file), flags, resolve) ?? undefined;
}

/**
 * The `#!` line of the file behind an O_PATH descriptor, parsed as the kernel does; bytes that
 * are not UTF-8 are kept (escaped). "unreadable": the kernel can run it, execward cannot read it.
 */
function readShebang(
  addon: FdPassing,
  fd: number,
): { interpreter: string; arg: string | undefined } | "unreadable" | undefined {
  const buffer = addon.readHead(fd, SHEBANG_BYTES);
  if (buffer === null) return "unreadable";
  const length = buffer.length;
  if (length < 2 || buffer[0] !== 0x23 || buffer[1] !== 0x21) return undefined;
  const newline = buffer.indexOf(0x0a);
  let line = buffer.subarray(2, newline < 0 ? length : newline);
  const isBlank = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09;
  while (line.length > 0 && isBlank(line[0])) line = line.subarray(1);
  while (line.length > 0 && isBlank(line[line.length - 1])) line = line.subarray(0, -1);
  let end = 0;
  while (end < line.length && !isBlank(line[end]) && line[end] !== 0) end++;
  if (end === 0) return undefined;
  let rest = line.subarray(end);
  while (rest.length > 0 && isBlank(rest[0])) rest = rest.subarray(1);
  return {
    interpreter: fromBytes(line.subarray(0, end)),
    arg: rest.length === 0 ? undefined : fromBytes(rest),
  };
}

function closeQuietly(addon: FdPassing, fd: number): void {
  try {
    addon.close(fd);
  } catch {
    // already closed
  }
}
