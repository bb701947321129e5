// The proxy alone in its own process (as in execward, where it lives in the server): prints
// its loopback port, serves until stdin closes. Used by network-bench.mjs.
import { loadFdPassing } from "../dist/native/native-addon.js";
import { createKernelRelay } from "../dist/exec/kernel-relay.js";
import { NetworkApprovalBroker } from "../dist/network/approval-broker.js";
import { NetworkPolicy } from "../dist/network/network-policy.js";
import { NetworkProxy } from "../dist/network/network-proxy.js";

const proxy = new NetworkProxy({
  policy: new NetworkPolicy({
    allowedDomains: ["127.0.0.1"],
    deniedDomains: [],
    allowedLocalAddresses: [],
    approvals: "never",
  }),
  broker: new NetworkApprovalBroker(),
  // As execward wires it; `--js-relay` measures the JavaScript relay instead.
  ...(process.argv.includes("--js-relay") ? {} : { relay: createKernelRelay(loadFdPassing()) }),
});
const listener = await proxy.listen("http", {
  command: "bench",
  ask: () => Promise.resolve("deny"),
});
process.stdout.write(`${listener.address().port}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
