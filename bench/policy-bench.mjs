// Policy engine benchmark: loading a 10,000-rule policy and deciding commands against it.
// Budgets (ARCHITECTURE.md): load <= 200 ms, evaluation <= 5 us per decision.
// Baselines measured in the same run: JSON.parse of the same rules as data (load), and a bare
// Map lookup by program name (evaluation), the floors any rules engine pays.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { loadPolicy } from "../dist/policy/index.js";

const RULES = 10_000;

/** Deterministic PRNG (mulberry32), so every run measures the same policy. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBCOMMANDS = [
  "status",
  "log",
  "diff",
  "push",
  "pull",
  "install",
  "run",
  "build",
  "test",
  "list",
  "show",
  "get",
  "set",
  "rm",
  "add",
];
const FLAGS = ["-v", "-f", "--force", "--all", "-n", "--dry-run", "-r", "--global", "-q", "--json"];

function generateRules(random, programs, minLength) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const rules = [];
  for (let i = 0; i < RULES; i++) {
    const program = pick(programs);
    const pattern = [random() < 0.05 ? [program, `${program}-alt`] : program];
    const length = minLength + Math.floor(random() * (4 - minLength));
    for (let j = 1; j < length; j++) {
      pattern.push(
        random() < 0.2
          ? [pick(SUBCOMMANDS), pick(SUBCOMMANDS)]
          : pick(j === 1 ? SUBCOMMANDS : FLAGS),
      );
    }
    const decision = pick(["allow", "allow", "prompt", "forbidden"]);
    const justification =
      random() < 0.3 ? `, justification="rule ${i}: keep \\"${program}\\" in check"` : "";
    const first = Array.isArray(pattern[0]) ? pattern[0][0] : pattern[0];
    const example =
      random() < 0.2
        ? `, match=[${JSON.stringify([first, ...pattern.slice(1).map((t) => (Array.isArray(t) ? t[0] : t)), "x"].join(" "))}]`
        : "";
    rules.push({
      pattern,
      decision,
      text: `prefix_rule(pattern=${JSON.stringify(pattern)}, decision="${decision}"${justification}${example})`,
    });
  }
  return rules;
}

function generateCommands(random, programs, count) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const commands = [];
  for (let i = 0; i < count; i++) {
    const program = random() < 0.8 ? pick(programs) : `unknown${i % 97}`;
    const command = [program];
    const length = 1 + Math.floor(random() * 4);
    for (let j = 0; j < length; j++) command.push(random() < 0.6 ? pick(SUBCOMMANDS) : pick(FLAGS));
    commands.push(command);
  }
  return commands;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ms(ns) {
  return Number(ns) / 1e6;
}

async function timeLoad(file, runs) {
  const times = [];
  let policy;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    policy = await loadPolicy([file], { paths: { cwd: "/", home: "/root" } });
    times.push(ms(process.hrtime.bigint() - start));
  }
  return { first: times[0], median: median(times), policy };
}

async function timeJsonBaseline(jsonFile, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    JSON.parse(await readFile(jsonFile, "utf8"));
    times.push(ms(process.hrtime.bigint() - start));
  }
  return median(times);
}

function timePerOp(fn, commands, rounds) {
  let sink = 0;
  for (const command of commands) sink += fn(command); // warm-up
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const command of commands) sink += fn(command);
  const ns = Number(process.hrtime.bigint() - start) / (rounds * commands.length);
  return { ns, sink };
}

async function scenario(name, programs, dir, seed, minLength) {
  const random = prng(seed);
  const rules = generateRules(random, programs, minLength);
  const file = path.join(dir, `${name}.rules`);
  await writeFile(file, rules.map((rule) => rule.text).join("\n") + "\n");
  const jsonFile = path.join(dir, `${name}.json`);
  await writeFile(
    jsonFile,
    JSON.stringify(rules.map(({ pattern, decision }) => ({ pattern, decision }))),
  );

  const load = await timeLoad(file, 15);
  const jsonMs = await timeJsonBaseline(jsonFile, 15);

  const commands = generateCommands(random, programs, 10_000);
  const byProgram = new Map();
  for (const rule of rules) {
    const first = Array.isArray(rule.pattern[0]) ? rule.pattern[0] : [rule.pattern[0]];
    for (const program of first) byProgram.set(program, (byProgram.get(program) ?? 0) + 1);
  }
  const baseline = timePerOp((command) => byProgram.get(command[0]) ?? 0, commands, 50);
  const evaluate = timePerOp(
    (command) => load.policy.evaluate(command).matchedRules.length,
    commands,
    50,
  );
  const matched = commands.filter(
    (command) => load.policy.evaluate(command).decision !== undefined,
  ).length;
  return {
    name,
    programs: programs.length,
    rules: load.policy.prefixRules.length,
    load,
    jsonMs,
    baseline,
    evaluate,
    matched,
    commands: commands.length,
  };
}

export async function runPolicyBench() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "execward-bench-"));
  try {
    const spread = Array.from({ length: 1000 }, (_, i) => `tool${i}`);
    const results = [
      await scenario("10k rules over 1,000 programs, 1-3 tokens", spread, dir, 1, 1),
      // Every rule for one program, 3 tokens: the lookup's worst case (a command matches few).
      await scenario("10k rules on 1 program (worst case), 3 tokens", ["git"], dir, 2, 3),
    ];
    console.log("\n## Policy engine (.rules), 10,000 rules");
    for (const r of results) {
      console.log(`\n${r.name}  (${r.rules} rules after first-token expansion)`);
      console.log(
        `  load (parse + evaluate + validate examples): median ${r.load.median.toFixed(1)} ms, first run ${r.load.first.toFixed(1)} ms   [budget <= 200 ms]`,
      );
      console.log(
        `  baseline JSON.parse of the same rules as data: ${r.jsonMs.toFixed(1)} ms   (ratio ${(r.load.median / r.jsonMs).toFixed(1)}x)`,
      );
      console.log(
        `  evaluate: ${(r.evaluate.ns / 1000).toFixed(3)} us per decision over ${r.commands} commands (${r.matched} matched)   [budget <= 5 us]`,
      );
      console.log(
        `  baseline Map lookup by program: ${(r.baseline.ns / 1000).toFixed(3)} us   (ratio ${(r.evaluate.ns / r.baseline.ns).toFixed(1)}x)`,
      );
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
