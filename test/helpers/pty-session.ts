/**
 * A shell on a real pseudo-terminal, scripted like a person: when the output shows `after`,
 * type `keys` (optionally, Ctrl-C first and the rest after a pause). The shell runs with job
 * control (`set -m`), so a command it starts is the terminal's foreground job, as at an
 * interactive prompt: Ctrl-C goes to that job, not to the shell. python3's pty module (Node has
 * none). Returns everything printed on the terminal.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const DRIVER = `
import json, os, pty, sys, time
script, steps = sys.argv[1], json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv("/bin/bash", ["/bin/bash", "--norc", "--noprofile", "-c", "set -m; " + script])
out = b""
step = 0
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    while step < len(steps) and out.count(steps[step]["after"].encode()) >= steps[step].get("nth", 1):
        for part in steps[step]["keys"]:
            if part.startswith("<pause>"):
                time.sleep(float(part[7:]))
            else:
                os.write(fd, part.encode())
        step += 1
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
`;

export interface PtyStep {
  /** Type once the output shows this (for the `nth` time, default 1). */
  readonly after: string;
  readonly nth?: number;
  /** What to type; an entry "<pause>0.3" waits that many seconds. */
  readonly keys: readonly string[];
}

export async function runShellInPty(
  script: string,
  steps: readonly PtyStep[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    "python3",
    ["-c", DRIVER, script, JSON.stringify(steps)],
    { cwd: options.cwd, env: options.env, encoding: "utf8", timeout: 60_000 },
  );
  return stdout;
}
