// How an escalated program is started outside the sandbox (native/fd-passing/escalated_spawn.c):
// with exactly the requester's descriptors and nothing of the server's, default signal
// dispositions and an empty mask (Node ignores SIGPIPE; a program must not inherit that), as the
// leader of its own session, and with its exit status or signal reported to the requester as a
// shell reports them. Each property has its control in the server's own process, which is this
// test process.
import { readdirSync, readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { escalatedEnv } from "../../src/escalation/escalated-env.js";
import { runIntercepted } from "../helpers/intercepted.js";

const ALLOW = [
  `prefix_rule(pattern=["ls"], decision="allow")`,
  `prefix_rule(pattern=["grep"], decision="allow")`,
  `prefix_rule(pattern=["sh"], decision="allow")`,
  `prefix_rule(pattern=["cat"], decision="allow")`,
].join("\n");

function escalatedIn(result: Awaited<ReturnType<typeof runIntercepted>>, program: string): boolean {
  return result.decisions.some(
    ({ request, decision }) =>
      request.file.endsWith(`/${program}`) && decision.action === "escalate",
  );
}

describe("escalated spawn", () => {
  it("gives the program the requester's stdio and none of the server's descriptors", async () => {
    // control: the server (this process) holds many descriptors an escalated program must not get
    expect(readdirSync("/proc/self/fd").length).toBeGreaterThan(6);
    const result = await runIntercepted("/bin/ls /proc/self/fd", { rules: ALLOW });
    expect(escalatedIn(result, "ls")).toBe(true);
    // 0-2 from the requester, 3 the directory ls itself opened to list
    expect(result.stdout.trim().split("\n")).toEqual(["0", "1", "2", "3"]);
  });

  it("starts the program with default signal dispositions and an empty mask", async () => {
    const own = readFileSync("/proc/self/status", "utf8");
    // control: Node ignores SIGPIPE (bit 13), which a plain fork would pass on
    expect(BigInt(`0x${/SigIgn:\s+(\w+)/.exec(own)?.[1]}`) & (1n << 12n)).not.toBe(0n);
    const result = await runIntercepted("/bin/grep -E '^Sig(Ign|Blk)' /proc/self/status", {
      rules: ALLOW,
    });
    expect(escalatedIn(result, "grep")).toBe(true);
    expect(result.stdout).toMatch(/SigBlk:\s+0{16}\n/);
    expect(result.stdout).toMatch(/SigIgn:\s+0{16}\n/);
  });

  it("makes the program the leader of its own session (a timeout ends its whole group)", async () => {
    const result = await runIntercepted(
      `/bin/sh -c 'read -r pid comm state ppid pgrp session rest < /proc/self/stat; echo "$$ $pgrp $session"'`,
      { rules: ALLOW },
    );
    expect(escalatedIn(result, "sh")).toBe(true);
    const [pid, pgrp, session] = result.stdout.trim().split(" ");
    expect(pid).toMatch(/^\d+$/);
    expect(pgrp).toBe(pid);
    expect(session).toBe(pid);
  });

  it("reports an exit status and a killing signal to the requester as a shell does", async () => {
    const result = await runIntercepted(
      [
        `/bin/sh -c 'exit 7'; echo "status=$?"`,
        `/bin/sh -c 'kill -TERM $$'; echo "status=$?"`,
        `/bin/sh -c 'kill -KILL $$'; echo "status=$?"`,
      ].join("; "),
      { rules: ALLOW },
    );
    expect(escalatedIn(result, "sh")).toBe(true);
    expect(result.stdout).toBe("status=7\nstatus=143\nstatus=137\n");
  });

  it("gives the program execward's environment with the request's allowed variables, byte for byte", async () => {
    // A developer's environment: 60 variables, one of them long; PATH and HOME first, as the
    // helper puts them, so that this is the escalation's base as it is.
    const base: Record<string, string> = {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
      TERM: "xterm-256color",
      PWD: "/home/user/project",
      LS_COLORS: "rs=0:di=01;34:ln=01;36:*.tar=01;31:".repeat(50),
      UNICODE: "héllo wörld ✓",
      EMPTY: "",
      ...Object.fromEntries(Array.from({ length: 52 }, (_, i) => [`XDG_VAR_${i}`, `/run/${i}`])),
    };
    const result = await runIntercepted(
      "LANG=fr_FR.UTF-8 COLUMNS=132 EXTRA=mine XDG_VAR_7=changed GIT_DIR=/tmp/evil /bin/cat /proc/self/environ",
      { rules: ALLOW, env: base, escalationEnvNames: ["EXTRA", "XDG_VAR_7"] },
    );
    const cat = result.decisions.find(({ request }) => request.file.endsWith("/cat"));
    expect(cat?.decision.action).toBe("escalate");
    const request = cat?.request;
    if (request === undefined) throw new Error("cat was not asked about");
    // control: the request carries what the program must not get
    expect(request.env.GIT_DIR).toBe("/tmp/evil");
    const expected = escalatedEnv({
      base,
      requested: request.env,
      extraNames: ["EXTRA", "XDG_VAR_7"],
      workdir: request.inspection.host?.workdirPath ?? request.workdir,
    });
    expect(Object.keys(expected).length).toBeGreaterThan(60);
    expect(expected).toMatchObject({ LANG: "fr_FR.UTF-8", COLUMNS: "132", XDG_VAR_7: "changed" });
    expect(result.stdout).toBe(
      Object.entries(expected)
        .map(([name, value]) => `${name}=${value}\0`)
        .join(""),
    );
  });
});
