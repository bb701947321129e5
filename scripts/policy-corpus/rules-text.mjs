/**
 * Rendering builtin calls (prefix_rule, host_executable, network_rule) with random argument
 * layouts, and joining statements into a file with random separators, headers and line endings.
 */
import { exampleLit, listLit, patternElementLit, strLit } from "./starlark-literals.mjs";

/**
 * Renders a call. `args` is [[name, literalText], ...] in parameter order; `positional` is how
 * many leading arguments are written positionally. Keyword arguments are shuffled sometimes.
 */
export function callText(r, callee, args, { positional = 0, layout } = {}) {
  const pos = args.slice(0, positional).map(([, text]) => text);
  let kw = args
    .slice(positional)
    .map(([name, text]) => `${name}${r.pick(["=", "=", " = "])}${text}`);
  if (r.chance(0.3)) kw = r.shuffle(kw);
  const parts = [...pos, ...kw];
  const chosen =
    layout ??
    r.weighted([
      [6, "inline"],
      [4, "multiline"],
      [1, "commented"],
    ]);
  if (chosen === "inline" || parts.length === 0) {
    const trailing = parts.length > 0 && r.chance(0.1) ? "," : "";
    return `${callee}(${parts.join(", ")}${trailing})`;
  }
  const indent = r.pick(["    ", "  ", "        "]);
  const lines = parts.map((part, i) => {
    const last = i === parts.length - 1;
    const comma = last ? (r.chance(0.7) ? "," : "") : ",";
    const comment =
      chosen === "commented" && r.chance(0.4) ? `  # ${r.pick(["why", "see docs", "é"])}` : "";
    return `${indent}${part}${comma}${comment}`;
  });
  if (chosen === "commented") lines.splice(r.int(0, lines.length), 0, `${indent}# note`);
  if (r.chance(0.15)) lines.splice(r.int(0, lines.length), 0, "");
  return `${callee}(\n${lines.join("\n")}\n)`;
}

export function prefixRuleArgs(r, rule) {
  const args = [["pattern", listLit(r, rule.pattern, (el) => patternElementLit(r, el))]];
  if (rule.decision !== undefined) args.push(["decision", strLit(r, rule.decision)]);
  if (rule.match !== undefined)
    args.push(["match", listLit(r, rule.match, (ex) => exampleLit(r, ex))]);
  if (rule.notMatch !== undefined) {
    args.push(["not_match", listLit(r, rule.notMatch, (ex) => exampleLit(r, ex))]);
  }
  if (rule.justification !== undefined) args.push(["justification", strLit(r, rule.justification)]);
  if (rule.canonical !== undefined)
    args.push(["canonical_matching", rule.canonical ? "True" : "False"]);
  return args;
}

export function prefixRuleText(r, rule) {
  const args = prefixRuleArgs(r, rule);
  // Positional style only when the leading parameters are all present in order.
  const order = [
    "pattern",
    "decision",
    "match",
    "not_match",
    "justification",
    "canonical_matching",
  ];
  let maxPositional = 0;
  while (maxPositional < args.length && args[maxPositional][0] === order[maxPositional])
    maxPositional++;
  const positional = r.chance(0.12) ? r.int(1, maxPositional) : 0;
  return callText(r, "prefix_rule", args, { positional });
}

export function hostExecutableText(r, name, paths) {
  return callText(
    r,
    "host_executable",
    [
      ["name", strLit(r, name)],
      ["paths", listLit(r, paths, (p) => strLit(r, p))],
    ],
    { positional: r.chance(0.2) ? r.int(1, 2) : 0, layout: r.chance(0.7) ? "inline" : undefined },
  );
}

export function networkRuleText(r, rule) {
  const args = [
    ["host", strLit(r, rule.host)],
    ["protocol", strLit(r, rule.protocol)],
    ["decision", strLit(r, rule.decision)],
  ];
  if (rule.justification !== undefined) args.push(["justification", strLit(r, rule.justification)]);
  return callText(r, "network_rule", args, {
    positional: r.chance(0.15) ? r.int(1, 3) : 0,
    layout: r.chance(0.6) ? "inline" : undefined,
  });
}

export const HEADERS = [
  "# Rules for this project.\n",
  '"""Execution policy."""\n',
  "# -*- policy -*-\n# Reviewed by the team.\n\n",
  "",
  "",
  "",
  "pass\n",
  "'''\nMulti-line docstring.\n'''\n",
];

/** Joins statements into a file with random separators, header and line endings. */
export function fileText(r, statements, { crlf } = {}) {
  let text = r.pick(HEADERS);
  statements.forEach((statement, i) => {
    text += statement;
    if (i === statements.length - 1) return;
    text += r.weighted([
      [10, "\n"],
      [3, "\n\n"],
      [1, "; "],
      [1, "\n# next\n"],
      [1, "\n   \n"],
      [1, ";\n"],
    ]);
  });
  if (statements.length > 0) {
    text += r.weighted([
      [8, "\n"],
      [2, ""],
      [1, "  # end\n"],
      [1, "\n\n"],
    ]);
  }
  const useCrlf = crlf ?? r.chance(0.08);
  return useCrlf ? text.replace(/\r?\n/g, "\r\n") : text;
}
