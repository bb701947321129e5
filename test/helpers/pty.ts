/**
 * Runs a command on a real pseudo-terminal (python3's pty module; Node has none) and returns
 * everything it printed there, answering `reply` each time the output shows `prompt`. The
 * command's controlling terminal is that pty, so /dev/tty prompts and TIOCSTI behave as for a
 * person at a terminal. Asynchronous: servers in the calling process keep answering meanwhile.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const DRIVER = `
import os, pty, sys
prompt, reply = sys.argv[1].encode(), sys.argv[2].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[3], sys.argv[3:])
out = b""
answered = 0
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if prompt and out.count(prompt) > answered:
        answered += 1
        os.write(fd, reply)
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
`;

export async function runInPty(
  argv: readonly string[],
  options: {
    readonly cwd: string;
    readonly env: NodeJS.ProcessEnv;
    readonly answer?: { readonly prompt: string; readonly reply: string };
  },
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    "python3",
    ["-c", DRIVER, options.answer?.prompt ?? "", options.answer?.reply ?? "", ...argv],
    { cwd: options.cwd, env: options.env, encoding: "utf8" },
  );
  return stdout;
}
