// `npm run bench`: every benchmark, each printing its figures next to a baseline measured in the
// same run. Figures go to stdout; nothing here asserts on time (that is not a test's job).
import { runExecBench } from "./exec-bench.mjs";
import { runMcpBench } from "./mcp-bench.mjs";
import { runNetworkBench } from "./network-bench.mjs";
import { runPolicyBench } from "./policy-bench.mjs";

console.log(`execward benchmarks  (node ${process.version}, ${process.platform}/${process.arch})`);
await runPolicyBench();
await runExecBench();
await runMcpBench();
await runNetworkBench();
await (await import("./startup-bench.mjs")).runStartupBench();
