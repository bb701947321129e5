// The round trip on its own: plain bash, every exec asked (the hook's round trip, the program then
// runs in place) and every exec escalated (inspected, then run outside by the server), each a loop
// of /bin/true, in interleaved rounds (the load drifts), medians printed. The same three
// measurements as bench/exec-bench.mjs, without its other modes, for work on the round trip.
// All three run with a developer's environment (bench/developer-env.mjs): it is what execward
// passes to every escalated program, and what every exec in the loop carries.
//   npm run build && node bench/round-trip-bench.mjs [rounds]
// Escalated budget (ARCHITECTURE.md): <= 2x a bare exec, i.e. plain bash's loop.
import { spawn } from "node:child_process";

import { loadNativeParts } from "../dist/native/native-addon.js";
import { startInterceptedRun } from "../dist/exec/intercepted-run.js";
import { DEVELOPER_ENV, describeEnv } from "./developer-env.mjs";

const EXECS = 300;
const LOOP = `for i in $(seq ${EXECS}); do /bin/true; done`;
const ENV = { ...DEVELOPER_ENV, PATH: "/usr/bin:/bin", HOME: "/root" };

function timePlain() {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn("/bin/bash", ["-c", LOOP], { stdio: "ignore", env: ENV });
    child.on("error", reject);
    child.on("close", () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
  });
}

async function timeIntercepted(native, action) {
  const start = process.hrtime.bigint();
  const run = startInterceptedRun({
    native,
    command: LOOP,
    shell: "/bin/bash",
    login: false,
    mode: "preload",
    cwd: "/",
    env: ENV,
    policy: { decide: async () => ({ action }) },
    // Absent: the hook asks about every program.
    askList: undefined,
    stdio: "pipe",
  });
  run.child.stdout.resume();
  run.child.stderr.resume();
  await run.exit;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await run.cleanedUp;
  return ms;
}

export async function runRoundTripBench(rounds = 7) {
  const native = loadNativeParts();
  const times = { plain: [], asked: [], escalated: [] };
  for (let i = 0; i < rounds; i++) {
    times.plain.push(await timePlain());
    times.asked.push(await timeIntercepted(native, "run"));
    times.escalated.push(await timeIntercepted(native, "escalate"));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const perExec = (ms) => ((ms / EXECS) * 1000).toFixed(0);
  const plain = median(times.plain);
  const asked = median(times.asked);
  const escalated = median(times.escalated);
  console.log(
    `\n## Round trip: ${rounds} interleaved rounds of ${EXECS} execs of /bin/true, medians; environment: ${describeEnv(ENV)}`,
  );
  console.log(`  plain bash (baseline): ${perExec(plain)} us per exec`);
  console.log(
    `  every exec asked (program then runs in place): added ${perExec(asked - plain)} us per exec (${(asked / plain).toFixed(2)}x)`,
  );
  console.log(
    `  every exec escalated (run outside): ${perExec(escalated)} us per exec (${(escalated / plain).toFixed(2)}x)  [budget <= 2x]`,
  );
  console.log(
    `  escalated per round: ${times.escalated.map((ms, i) => (ms / times.plain[i]).toFixed(2)).join(" ")} (x its round's plain bash)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runRoundTripBench(Number(process.argv[2] ?? 7));
}
