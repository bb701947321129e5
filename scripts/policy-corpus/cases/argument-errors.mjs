/**
 * Case builders for arguments bound wrongly (missing, repeated, unknown, misplaced) and
 * values each builtin rejects after binding (wrong types, bad patterns, decisions, hosts).
 */
import { BAD_PROTOCOLS, NETWORK_HOSTS } from "./network-rules.mjs";
import { randomRule } from "../random-rules.mjs";
import { fileText, networkRuleText, prefixRuleText } from "../rules-text.mjs";
import { q } from "../starlark-literals.mjs";
import { DECISIONS, JUSTIFICATIONS, PROGRAMS } from "../vocabulary.mjs";

/** Every way to bind arguments wrongly. */
export function bindingError(r) {
  const program = r.pick(PROGRAMS);
  const builtin = r.weighted([
    [5, "prefix_rule"],
    [2, "network_rule"],
    [2, "host_executable"],
  ]);
  const params = {
    prefix_rule: [
      "pattern",
      "decision",
      "match",
      "not_match",
      "justification",
      "canonical_matching",
    ],
    network_rule: ["host", "protocol", "decision", "justification"],
    host_executable: ["name", "paths"],
  }[builtin];
  const good = {
    pattern: `[${q(program)}]`,
    decision: q(r.pick(DECISIONS)),
    match: `[${q(program)}]`,
    not_match: `[${q("zzz")}]`,
    justification: q(r.pick(JUSTIFICATIONS)),
    canonical_matching: r.pick(["True", "False"]),
    host: q("example.com"),
    protocol: q("https"),
    name: q(program),
    paths: `[${q(`/usr/bin/${program}`)}]`,
  };
  if (builtin === "network_rule") good.decision = q(r.pick(["allow", "deny", "prompt"]));
  const required = { prefix_rule: 1, network_rule: 3, host_executable: 2 }[builtin];
  const kind = r.weighted([
    [2, "extra_positional"],
    [2, "missing"],
    [2, "unknown"],
    [2, "duplicate"],
    [1, "repeated_keyword"],
    [6, "type"],
    [1, "missing_and_unknown"],
  ]);
  let args;
  let positional = 0;
  if (kind === "extra_positional") {
    const extra = r.int(1, 3);
    args = params.map((p) => [p, good[p]]);
    for (let i = 0; i < extra; i++) args.push(["extra", r.pick(["1", "None", '"x"', "[]"])]);
    positional = args.length;
    if (r.chance(0.3)) args.push(["foo", "1"]);
  } else if (kind === "missing" || kind === "missing_and_unknown") {
    const drop = params[r.int(0, required - 1)];
    args = params
      .slice(0, r.int(required, params.length))
      .filter((p) => p !== drop)
      .map((p) => [p, good[p]]);
    if (kind === "missing_and_unknown") args.push([r.pick(["foo", "patterns", "desicion"]), "1"]);
    if (r.chance(0.3)) args = r.shuffle(args);
  } else if (kind === "unknown") {
    args = params.slice(0, required).map((p) => [p, good[p]]);
    const unknown = r.sample(
      [
        "foo",
        "bar",
        "patterns",
        "decison",
        "justifcation",
        "program",
        "True",
        "reason",
        "host",
        "path",
        "cmd",
        "allow",
      ],
      r.int(1, 3),
    );
    for (const name of unknown)
      if (!params.includes(name))
        args.splice(r.int(1, args.length), 0, [name, r.pick(["1", '"x"', "None", "[]"])]);
    if (args.length === required) args.push(["foo", "1"]);
  } else if (kind === "duplicate") {
    positional = r.int(1, Math.min(params.length, required + 1));
    args = params.slice(0, positional).map((p) => [p, good[p]]);
    const again = params[r.int(0, positional - 1)];
    args.push([again, good[again]]);
    for (const p of params.slice(positional, required)) args.push([p, good[p]]);
  } else if (kind === "repeated_keyword") {
    args = params.slice(0, required).map((p) => [p, good[p]]);
    const again = r.pick(params);
    args.splice(r.int(0, args.length), 0, [again, good[again]]);
    if (!args.some(([n], i) => args.findIndex(([m]) => m === n) !== i))
      args.push([again, good[again]]);
  } else {
    // Type errors: one or two parameters of the wrong type, the first in declaration order wins.
    args = params.slice(0, r.int(required, params.length)).map((p) => [p, good[p]]);
    const count = r.chance(0.25) ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const at = r.int(0, args.length - 1);
      args[at] = [args[at][0], wrongTypeValue(r, args[at][0])];
    }
    const style = r.int(0, 9);
    if (style < 3) positional = r.int(0, args.length);
    else if (style < 5) args = r.shuffle(args);
  }
  const text = renderArgs(r, builtin, args, positional);
  const statements = [text];
  if (r.chance(0.4)) statements.unshift(prefixRuleText(r, randomRule(r, { program, examples: 0 })));
  if (r.chance(0.3)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0 })));
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: [program],
    pretty: false,
  };
}

export function renderArgs(r, callee, args, positional) {
  const parts = args.map(([name, value], i) => (i < positional ? value : `${name}=${value}`));
  if (r.chance(0.3)) return `${callee}(\n    ${parts.join(",\n    ")},\n)`;
  return `${callee}(${parts.join(", ")})`;
}

/** A value of the wrong type for parameter `name`, with an interesting repr. */
export function wrongTypeValue(r, name) {
  const strings = [
    '"git"',
    "'single'",
    '"a\\"b\\n"',
    '"tab\\t\\x01\\x7f"',
    '"é日😀"',
    '"\\u200b\\xa0\\x85€"',
    '""',
    '"\\\\"',
    'r"raw\\d"',
  ];
  const others = [
    "1",
    "0",
    "42",
    "0x1F",
    "0o17",
    "0b101",
    "12345678901234567890",
    "True",
    "False",
    "None",
    "1.5",
    "2.0",
    "1e20",
    "0.1",
    "1e-7",
    "1.",
    ".5",
    "00.5",
    "0e0",
    "1E5",
    "0X1f",
    "0.5e-3",
    "1e300",
    "{1: 2, True: 3}",
    "123456789.123",
    "()",
    '("git",)',
    '("a", "b")',
    '("a", ("b",), [])',
    "{}",
    '{"a": 1}',
    '{"k": [None, True], 2: ("x",)}',
    '{"a": 1, "a": 2}',
    'b"x"',
    'b"\\x00\\xff"',
    'b"é€😀"',
    'b"\\xc3\\xa9\\xff\\xe2\\x82"',
    'b"\\u00e9\\U0001F600"',
    "rb'\\xff'",
    "prefix_rule",
    "host_executable",
    "len",
  ];
  const lists = ["[]", '["git"]', "[1, 2]", '[["a"], "b"]', "[None]"];
  if (name === "pattern" || name === "match" || name === "not_match" || name === "paths") {
    return r.pick([...strings, ...others]);
  }
  if (name === "canonical_matching")
    return r.pick([...strings, ...others.filter((v) => v !== "True" && v !== "False"), ...lists]);
  return r.pick([...others, ...lists]);
}

/** Values each builtin rejects after binding: pattern, examples, decision, justification... */
export function valueError(r) {
  const program = r.pick(PROGRAMS);
  const which = r.weighted([
    [4, "pattern"],
    [4, "example"],
    [2, "decision"],
    [2, "justification"],
    [3, "network"],
    [3, "host_executable"],
    [1, "order"],
  ]);
  let statement;
  if (which === "pattern") {
    const pattern = r.pick([
      "[]",
      "[1]",
      "[None]",
      "[True]",
      "[[]]",
      `[${q(program)}, []]`,
      `[${q(program)}, 1]`,
      `[${q(program)}, ["a", 1]]`,
      `[${q(program)}, ("a", "b")]`,
      `[("a",)]`,
      `[${q(program)}, {"a": 1}]`,
      `[${q(program)}, [["status"]]]`,
      `[[["${program}"]]]`,
      `[${q(program)}, None]`,
      `[${q(program)}, 1.5]`,
      `[${q(program)}, b"x"]`,
      `[[${q(program)}, None]]`,
      `[${q(program)}, "ok", [], 1]`,
    ]);
    statement = `prefix_rule(pattern=${pattern}${r.chance(0.3) ? `, decision=${q(r.pick(DECISIONS))}` : ""})`;
  } else if (which === "example") {
    const bad = r.pick([
      "1",
      "None",
      "[]",
      '""',
      '"   "',
      '"# just a comment"',
      '"\\n"',
      "[1]",
      `[${q(program)}, 2]`,
      '("x",)',
      `"${program} 'unterminated"`,
      `"${program} \\"unterminated"`,
      `"${program} a\\\\"`,
      "{}",
      "True",
      '[""]',
      '[" "]',
    ]);
    const param = r.pick(["match", "not_match"]);
    const good = r.chance(0.4) ? `${q(program)}, ` : "";
    statement = `prefix_rule(pattern=[${q(program)}], ${param}=[${good}${bad}])`;
    if (r.chance(0.2))
      statement = `prefix_rule(pattern=[${q(program)}], match=[${q("zzz")}], not_match=[${bad}])`;
  } else if (which === "decision") {
    // Starlark source text of the decision literal.
    const decision = r.pick(
      String.raw`"deny"|"Allow"|" allow"|"allow "|""|"ask"|"ALLOW"|"Forbidden"|"forbid"|"block"|"denied"|"prompt-user"|"a\nb"|"é"|"allow\x00"|'deny'|"\tprompt"`.split(
        "|",
      ),
    );
    statement = `prefix_rule(pattern=[${q(program)}], decision=${decision})`;
    if (r.chance(0.2)) statement = `prefix_rule(pattern=[], decision=${decision})`;
    if (r.chance(0.15))
      statement = `network_rule(host="example.com", protocol="https", decision=${decision})`;
  } else if (which === "justification") {
    const justification = r.pick([
      '""',
      '"  "',
      '"\\n"',
      '"\\r"',
      '"\\t \\n"',
      '"\\x85"',
      '"\\xa0"',
      '"\\u2003"',
      '"\\u3000"',
      '"\\u2028"',
      '"\\x0b\\x0c"',
      '"\\u200b"',
      '"\\ufeff"',
      '"\\u180e"',
      '" x "',
    ]);
    statement = r.chance(0.7)
      ? `prefix_rule(pattern=[${q(program)}], justification=${justification})`
      : `network_rule(host="example.com", protocol="https", decision="allow", justification=${justification})`;
  } else if (which === "network") {
    const host = r.pick(NETWORK_HOSTS);
    const protocol = r.chance(0.7)
      ? r.pick(["https", "http", "socks5_tcp", "socks5_udp", "https_connect", "http-connect"])
      : r.pick(BAD_PROTOCOLS);
    const decision = r.chance(0.8)
      ? r.pick(["allow", "deny", "prompt", "forbidden"])
      : r.pick(["ask", "Deny", "block", "", "reject"]);
    statement = networkRuleText(r, {
      host,
      protocol,
      decision,
      justification: r.chance(0.1) ? r.pick(["", " ", "ok"]) : undefined,
    });
  } else if (which === "host_executable") {
    const name = r.chance(0.75)
      ? program
      : r.pick(["", "a/b", ".", "..", "/usr/bin/git", " git", "a\\b", "git.exe", "é"]);
    const paths = r.sample(
      [
        `/usr/bin/${name}`,
        `/opt/${name}`,
        "~",
        `~/${name}`,
        `bin/${name}`,
        `./${name}`,
        "",
        "/usr/bin/other",
        "/",
        `/usr/bin/${name}/`,
        `//usr/bin/${name}`,
        `/usr/bin/../bin/${name}`,
        "/usr/bin/..",
        `/usr/bin/${name}/..`,
        `/usr/bin/${name}/.`,
        `/x/~/${name}`,
      ],
      r.int(0, 3),
    );
    const extra = r.chance(0.1) ? ", 1" : r.chance(0.05) ? ', ["x"]' : "";
    statement = `host_executable(name=${q(name)}, paths=[${paths.map(q).join(", ")}${extra}])`;
  } else {
    // Several problems in one call: codex's order decides which one is reported.
    const parts = r
      .shuffle([
        `pattern=${r.pick(["[]", "[1]", `[${q(program)}]`])}`,
        `decision=${q(r.pick(["bogus", "allow", "prompt"]))}`,
        `justification=${q(r.pick(["", "ok", " "]))}`,
        `match=[${r.pick(["1", '""', q(program), q("zzz")])}]`,
        `not_match=[${r.pick(["[]", q(`${program} x`), q("zzz")])}]`,
      ])
      .slice(0, r.int(2, 5));
    if (!parts.some((p) => p.startsWith("pattern"))) parts.unshift(`pattern=[${q(program)}]`);
    statement = `prefix_rule(${parts.join(", ")})`;
  }
  const statements = [statement];
  if (r.chance(0.4)) statements.unshift(prefixRuleText(r, randomRule(r, { program, examples: 0 })));
  if (r.chance(0.3)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0 })));
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: [program, "x"],
    pretty: false,
  };
}
