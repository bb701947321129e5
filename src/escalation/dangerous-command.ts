/**
 * Codex's "might be dangerous" heuristic for commands no rule matches: such a command is asked
 * about (and, if accepted, still runs inside the sandbox) instead of just running.
 *
 * Ported from upstream's `is_dangerous_command`: `git reset` / `git rm`, deleting branches,
 * force or deleting pushes, `git clean -f`, `rm -f` / `rm -rf`, and `sudo <any of these>`.
 * Upstream also parses `bash -lc "<script>"`; execward does not need to, because every program
 * the script starts is intercepted and judged on its own.
 */

const GIT_GLOBAL_OPTIONS_WITH_VALUE = new Set([
  "-C",
  "-c",
  "--config-env",
  "--exec-path",
  "--git-dir",
  "--namespace",
  "--super-prefix",
  "--work-tree",
]);

export function commandMightBeDangerous(command: readonly string[]): boolean {
  const [program, ...args] = command;
  if (program === undefined) return false;
  const name = program.slice(program.lastIndexOf("/") + 1);
  if (name === "sudo") return commandMightBeDangerous(args);
  if (name === "rm") return args[0] === "-f" || args[0] === "-rf";
  if (name === "git") return gitMightBeDangerous(args);
  return false;
}

function gitMightBeDangerous(args: readonly string[]): boolean {
  let i = 0;
  while (i < args.length) {
    const arg = args[i] as string;
    if (GIT_GLOBAL_OPTIONS_WITH_VALUE.has(arg)) {
      i += 2;
      continue;
    }
    if (arg.startsWith("-")) {
      i += 1;
      continue;
    }
    break;
  }
  const subcommand = args[i];
  const rest = args.slice(i + 1);
  if (subcommand === undefined) return false;
  switch (subcommand) {
    case "reset":
    case "rm":
      return true;
    case "branch":
      return rest.some(
        (arg) => arg === "--delete" || hasShortFlag(arg, "d") || hasShortFlag(arg, "D"),
      );
    case "push":
      return rest.some(
        (arg) =>
          ["--force", "--force-with-lease", "--force-if-includes", "--delete", "--mirror"].some(
            (flag) => arg === flag || arg.startsWith(`${flag}=`),
          ) ||
          hasShortFlag(arg, "f") ||
          hasShortFlag(arg, "d") ||
          (!arg.startsWith("-") && (arg.startsWith("+") || arg.startsWith(":"))),
      );
    case "clean":
      return rest.some((arg) => arg === "--force" || hasShortFlag(arg, "f"));
    default:
      return false;
  }
}

/** `-f`, or stacked short flags containing it (`-fd`). */
function hasShortFlag(arg: string, flag: string): boolean {
  return /^-[a-zA-Z]+$/.test(arg) && arg.slice(1).includes(flag);
}

/** Program names the heuristic looks at (the hook always asks about these). */
export const HEURISTIC_PROGRAMS: readonly string[] = ["git", "rm", "sudo"];
