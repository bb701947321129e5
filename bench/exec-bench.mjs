// Exec interception benchmark: the cost added to each exec, against the same loop in plain bash
// measured in the same run. Budget (ARCHITECTURE.md): <= 0.1 ms per intercepted exec in preload
// mode. Modes measured:
//   preload, fast path   the hook is loaded; `true` is on no rule, so no round trip (its one-way
//                        notice is sent and dropped: no audit log)
//   ... audit log on     the same, each notice appended to an audit log file
//   preload, asked       EXECWARD_ASK absent: every exec is a round trip to the server
//   exec-wrapper         upstream's patched Bash + our wrapper: every exec is a round trip
//   escalated            every exec is escalated: inspected, verified on the host, started by
//                        the addon outside (clone + execveat of the judged descriptor; budget:
//                        <= 2x a bare exec, i.e. plain bash's loop)
//   sandboxed            the same fast-path loop in bwrap, kernel exec backstop off and on
//                        (runs interleaved; budget: the backstop adds <= 100 us per exec), in
//                        bash (hook + backstop) and in static busybox sh (backstop only); and
//                        on with its fast-path notices (what an audit log turns on), counted
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { computeAskList } from "../dist/escalation/ask-list.js";
import { AuditLogFile } from "../dist/exec/audit-log.js";
import { loadFdPassing, loadNativeParts, nativePaths } from "../dist/native/native-addon.js";
import { LinuxSandbox } from "../dist/sandbox/linux-sandbox.js";
import { startInterceptedRun } from "../dist/exec/intercepted-run.js";
import { parsePolicy } from "../dist/policy/index.js";
import { DEVELOPER_ENV, describeEnv } from "./developer-env.mjs";
import { fetchUpstream } from "./upstream-package.mjs";

const EXECS = 2000;
const LOOP = `for i in $(seq ${EXECS}); do /bin/true; done`;
const ENV = { PATH: "/usr/bin:/bin", HOME: "/root" };
/** The escalated case's (execward passes its whole environment to every escalated program). */
const ESCALATED_ENV = { ...DEVELOPER_ENV, ...ENV };

function timePlain(shell) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(shell, ["-c", LOOP], { stdio: "ignore", env: ENV });
    child.on("error", reject);
    child.on("close", () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
  });
}

/** CPU time (ms) of every child this process has waited for, the whole process tree under it. */
function childrenCpuMs() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // cutime and cstime are fields 16 and 17 (1-based) of stat, in clock ticks (USER_HZ = 100).
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

async function timeIntercepted(
  shell,
  mode,
  askList,
  action = "run",
  loop = LOOP,
  sandboxed = undefined,
  onNotice = undefined,
  env = ENV,
) {
  const policy = parsePolicy(
    [{ name: "bench.rules", text: `prefix_rule(pattern=["rm"], decision="forbidden")` }],
    {
      paths: { cwd: "/", home: "/root" },
    },
  );
  let asked = 0;
  const sandbox =
    sandboxed === undefined
      ? undefined
      : await sandboxed.launcher.prepare({
          policy: { type: "read-only", access: { type: "full-access" }, network_access: false },
          policyCwd: "/",
          commandCwd: "/",
          tmpdir: undefined,
          required: [shell],
        });
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const run = startInterceptedRun({
    native: loadNativeParts(),
    command: loop,
    shell,
    login: false,
    mode,
    cwd: "/",
    env,
    policy: {
      decide: async () => {
        asked++;
        return { action };
      },
    },
    askList: askList === "computed" ? computeAskList(policy, false) : undefined,
    stdio: "pipe",
    ...(sandbox === undefined ? {} : { sandbox, execBackstop: sandboxed.backstop }),
    ...(onNotice === undefined ? {} : { onNotice }),
    ...(sandboxed?.onBackstopNotice === undefined
      ? {}
      : { onNotice: () => undefined, onBackstopNotice: sandboxed.onBackstopNotice }),
  });
  run.child.stdout.resume();
  run.child.stderr.resume();
  await run.exit;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await run.cleanedUp;
  return { ms, asked, cpu: childrenCpuMs() - cpuBefore };
}

/** Backstop off, on, and on with notices, run alternately (the load drifts), fastest of each. */
export async function sandboxedPair(shell, loop) {
  const launcher = new LinuxSandbox({
    init: nativePaths().sandboxInit,
    pathEnv: "/usr/bin:/bin",
    locks: loadFdPassing(),
  });
  try {
    await launcher.capabilities();
  } catch (error) {
    return { skipped: String(error) };
  }
  const off = [];
  const on = [];
  const noticed = [];
  let notices = 0;
  const cpu = { off: 0, on: 0, noticed: 0 };
  for (let i = 0; i < 7; i++) {
    for (const [backstop, into, key] of [
      [false, off, "off"],
      [true, on, "on"],
      [true, noticed, "noticed"],
    ]) {
      const result = await timeIntercepted(shell, "preload", "computed", "run", loop, {
        launcher,
        backstop,
        ...(key === "noticed" ? { onBackstopNotice: () => notices++ } : {}),
      });
      into.push(result.ms);
      cpu[key] += result.cpu / 7;
    }
  }
  await launcher.flush?.();
  // The fastest of each: the machine's load only ever adds time.
  const min = (values) => Math.min(...values);
  return {
    off: min(off),
    on: min(on),
    noticed: min(noticed),
    notices: notices / 7,
    cpuOff: cpu.off,
    cpuOn: cpu.on,
    cpuNoticed: cpu.noticed,
  };
}

export function reportSandboxed(name, pair) {
  const perExec = (ms) => ((ms / EXECS) * 1000).toFixed(0);
  console.log(
    `  sandboxed, ${name}, fast path (fastest of 7, interleaved): backstop off ${pair.off.toFixed(0)} ms, on ${pair.on.toFixed(0)} ms: adds ${perExec(pair.on - pair.off)} us per exec  [budget <= 100 us]; CPU of the whole tree: off ${pair.cpuOff.toFixed(0)} ms, on ${pair.cpuOn.toFixed(0)} ms: adds ${perExec(pair.cpuOn - pair.cpuOff)} us per exec`,
  );
  console.log(
    `  sandboxed, ${name}, backstop on with its fast-path notices (audit log; ${Math.round(pair.notices)} notices per run): ${pair.noticed.toFixed(0)} ms: adds ${perExec(pair.noticed - pair.off)} us per exec against off, ${perExec(pair.noticed - pair.on)} us against on without notices  [budget <= 100 us]; CPU of the tree ${pair.cpuNoticed.toFixed(0)} ms`,
  );
}

async function median(times, fn) {
  const values = [];
  for (let i = 0; i < times; i++) values.push(await fn());
  values.sort((a, b) => (a.ms ?? a) - (b.ms ?? b));
  return values[Math.floor(values.length / 2)];
}

export async function runExecBench() {
  console.log(`\n## Exec interception: a loop of ${EXECS} execs of /bin/true`);
  const plain = await median(3, () => timePlain("/bin/bash"));
  console.log(
    `  plain bash (baseline): ${plain.toFixed(0)} ms, ${((plain / EXECS) * 1000).toFixed(0)} us per exec`,
  );
  const report = (name, result) => {
    const added = (result.ms - plain) / EXECS;
    console.log(
      `  ${name}: ${result.ms.toFixed(0)} ms, added ${(added * 1000).toFixed(0)} us per exec (${(result.ms / plain).toFixed(2)}x), ${result.asked} round trips`,
    );
  };
  report(
    "preload, fast path (no rule for true)  [budget <= 100 us added]",
    await median(3, () => timeIntercepted("/bin/bash", "preload", "computed")),
  );
  // The audit log on: every fast-path notice becomes a JSON line appended to a file.
  const auditDir = mkdtempSync(path.join(os.tmpdir(), "execward-bench-audit-"));
  let logged = 0;
  const audited = await median(3, async () => {
    const file = new AuditLogFile(path.join(auditDir, "audit.jsonl"), (m) => console.log(m));
    const result = await timeIntercepted(
      "/bin/bash",
      "preload",
      "computed",
      "run",
      LOOP,
      undefined,
      (n) => {
        if (n === undefined) return;
        logged++;
        file.write({
          time: new Date().toISOString(),
          session: "bench",
          call: 1,
          kind: "exec",
          decision: "run",
          reported_by: "sandbox",
          program: n.file,
          argv: n.argv,
          workdir: n.workdir,
          reason: "fast path",
          rule: null,
          approval: null,
        });
      },
    );
    await file.close();
    return result;
  });
  rmSync(auditDir, { recursive: true, force: true });
  report(
    `preload, fast path, audit log on (${Math.round(logged / 3)} lines per run)  [budget <= 100 us added]`,
    audited,
  );
  report(
    "preload, every exec asked",
    await median(3, () => timeIntercepted("/bin/bash", "preload", undefined)),
  );
  const escalatedExecs = 300;
  const escalatedLoop = `for i in $(seq ${escalatedExecs}); do /bin/true; done`;
  const plainShort = await median(3, async () => {
    const start = process.hrtime.bigint();
    await new Promise((resolve, reject) => {
      const child = spawn("/bin/bash", ["-c", escalatedLoop], {
        stdio: "ignore",
        env: ESCALATED_ENV,
      });
      child.on("error", reject);
      child.on("close", resolve);
    });
    return Number(process.hrtime.bigint() - start) / 1e6;
  });
  const escalated = await median(3, () =>
    timeIntercepted(
      "/bin/bash",
      "preload",
      undefined,
      "escalate",
      escalatedLoop,
      undefined,
      undefined,
      ESCALATED_ENV,
    ),
  );
  console.log(
    `  escalated, every exec run outside: ${((escalated.ms / escalatedExecs) * 1000).toFixed(0)} us per exec against ${((plainShort / escalatedExecs) * 1000).toFixed(0)} us bare (${(escalated.ms / plainShort).toFixed(2)}x; both with ${describeEnv(ESCALATED_ENV)})  [budget <= 2x]`,
  );
  for (const [name, shell] of [
    ["bash (hook + backstop)", "/bin/bash"],
    ["static busybox sh (backstop only)", "/bin/busybox"],
  ]) {
    if (!existsSync(shell)) {
      console.log(`  sandboxed, ${name}: skipped (${shell} is not installed)`);
      continue;
    }
    const loop =
      shell === "/bin/busybox"
        ? `exec /bin/busybox sh -c 'for i in $(seq ${EXECS}); do /bin/true; done'`
        : LOOP;
    const pair = await sandboxedPair("/bin/bash", loop);
    if (pair.skipped !== undefined) {
      console.log(`  sandboxed: skipped (${pair.skipped})`);
      break;
    }
    reportSandboxed(name, pair);
  }
  const upstream = fetchUpstream();
  if (upstream.bash !== undefined) {
    const PATCHED_BASH = upstream.bash;
    const patchedPlain = await median(3, () => timePlain(PATCHED_BASH));
    console.log(`  upstream patched bash, no wrapper (baseline): ${patchedPlain.toFixed(0)} ms`);
    report(
      "exec-wrapper (patched bash + our wrapper)",
      await median(3, () => timeIntercepted(PATCHED_BASH, "exec-wrapper", undefined)),
    );
  } else {
    console.log(`  exec-wrapper: skipped (${upstream.missing})`);
  }
}
