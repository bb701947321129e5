/**
 * Case builders for host_executable and --resolve-host-executables with path programs.
 */
import path from "node:path";

import { FIXED_HOME } from "../paths.mjs";
import { instantiate, programPath, programsOf, randomRule } from "../random-rules.mjs";
import { fileText, hostExecutableText, prefixRuleText } from "../rules-text.mjs";
import { PROGRAMS } from "../vocabulary.mjs";

/** host_executable and --resolve-host-executables with path programs. */
export function hostExecutable(r) {
  const program = r.pick(PROGRAMS);
  const statements = [];
  const rules = [];
  const nRules = r.int(1, 3);
  for (let i = 0; i < nRules; i++) {
    const rule = randomRule(r, {
      program: r.chance(0.8) ? program : undefined,
      examples: 0.1,
      firstAlternatives: 0.1,
    });
    if (r.chance(0.1)) rule.canonical = true;
    rules.push(rule);
  }
  if (r.chance(0.15))
    rules.push({
      pattern: [r.pick([`/usr/bin/${program}`, `./${program}`, `~/${program}`])],
      decision: "forbidden",
    });
  for (const rule of rules) statements.push(prefixRuleText(r, rule));
  const commandPath = programPath(r, program);
  if (r.chance(0.65)) {
    const candidates = [
      `/usr/bin/${program}`,
      `/opt/homebrew/bin/${program}`,
      `/usr/local/bin/${program}`,
      `//usr/bin/${program}`,
      `/usr/bin/../bin/${program}`,
      `/usr/bin/${program}/`,
      `${FIXED_HOME}/${program}`,
      `${FIXED_HOME}/bin/${program}`,
      `/bin/${program}`,
      `/${program}`,
    ];
    const name = r.chance(0.9) ? program : r.pick(PROGRAMS);
    // Paths must end in the name they are listed for.
    const forName = (paths) =>
      paths.map((p) => p.replace(new RegExp(`${program}(/?)$`), `${name}$1`));
    const paths = forName(r.sample(candidates, r.int(0, 3)));
    statements.splice(r.int(0, statements.length), 0, hostExecutableText(r, name, paths));
    if (r.chance(0.15))
      statements.push(hostExecutableText(r, name, forName(r.sample(candidates, 1))));
  }
  const command = instantiate(r, r.pick(rules).pattern, r.int(0, 2));
  if (programsOf(rules[0].pattern).includes(command[0]) || r.chance(0.7))
    command[0] = r.chance(0.9) ? commandPath : command[0];
  if (r.chance(0.05))
    command[0] = r.pick([
      "~",
      "~/",
      ".",
      "..",
      "/",
      "~root/" + program,
      "a\\" + program,
      program.toUpperCase(),
      `/usr/bin/${program.toUpperCase()}`,
    ]);
  // `~` resolves to the home directory itself, whose name is the fixed home's basename.
  if (command[0] === "~" || command[0] === "~/") {
    statements.push(
      prefixRuleText(r, { pattern: [path.basename(FIXED_HOME)], decision: "prompt" }),
    );
  }
  const resolve = r.chance(0.8);
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command,
    resolveHostExecutables: resolve,
    pretty: r.chance(0.1),
  };
}
