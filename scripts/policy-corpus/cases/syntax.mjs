/**
 * Case builders for syntax: valid layout variety, text that is not Starlark, errors of
 * different stages in one policy (which one codex reports first), unknown names.
 */
import { randomRule, subcommandsOf } from "../random-rules.mjs";
import { fileText, prefixRuleText } from "../rules-text.mjs";
import { q } from "../starlark-literals.mjs";
import { PROGRAMS } from "../vocabulary.mjs";

/** Valid syntax variety: comments, trailing commas, newlines in brackets, semicolons, CRLF. */
export function syntaxLayout(r) {
  const program = r.pick(PROGRAMS);
  const sub = r.pick(subcommandsOf(program));
  const forms = [
    `# full line\nprefix_rule(pattern=[${q(program)}]) # trailing\n  # indented comment\n`,
    `prefix_rule(pattern=[${q(program)},], decision="prompt",)`,
    `prefix_rule(\n  pattern = [\n    ${q(program)},\n\n    ${q(sub)},\n  ],\n\n  decision = "prompt"\n)\n`,
    `prefix_rule(pattern=[${q(program)}], \\\n  decision="forbidden")\n`,
    `prefix_rule(pattern=[${q(program)}]); prefix_rule(pattern=[${q(program)}, ${q(sub)}], decision="prompt");`,
    `\n   \n\t\nprefix_rule(pattern=[${q(program)}])\n  \n`,
    `# c\r\nprefix_rule(pattern=[${q(program)}],\r\n  decision="prompt")\r\n`,
    `prefix_rule(pattern=[${q(program)}], justification="""a\r\nb""")\r\n`,
    "",
    "# only\n# comments\n",
    `"""doc"""\nprefix_rule(pattern=[${q(program)}])\n`,
    `pass\nprefix_rule(pattern=[${q(program)}])\npass\n`,
    `None\n42\n[1, 2]\n("a",)\n{"k": "v"}\nTrue\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}], decision="prompt",)  ;  `,
    `\t# tab-indented comment\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}])  # a\tb\n`,
    `prefix_rule( pattern = [ ${q(program)} , ${q(sub)} ] , decision = "allow" )`,
    `prefix_rule(pattern=[${q(program)}], # why\n            decision="prompt", # really\n)\n`,
    `prefix_rule(pattern=[\n    ${q(program)},  # the program\n    [\n        ${q(sub)},\n        "other",\n    ],\n])\n`,
    `prefix_rule(\n    [${q(program)}],\n    "prompt",\n    [${q(`${program} ${sub}`)}],\n    [],\n    "positional",\n    False,\n)\n`,
    `prefix_rule(pattern=[${q(program)}])\n\n\n\n`,
    `\n\n\nprefix_rule(pattern=[${q(program)}])`,
    `prefix_rule(pattern=[${q(program)}]);`,
    `prefix_rule(pattern=[${q(program)}]);;`,
    `0x10\n0o17\n0b1\n0\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}], decision=("prompt"))`,
    `prefix_rule(pattern=([${q(program)}]))`,
    `prefix_rule(pattern=[(${q(program)})])`,
    `prefix_rule(pattern=[${q(program)}], canonical_matching=(True))`,
    `prefix_rule(pattern=[${q(program)}], match=[], not_match=[])`,
    `prefix_rule(pattern=[${q(program)}]) \\\n`,
    `prefix_rule(pattern=[${q(program)}])\\\n\n`,
    `prefix_rule \\\n(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}])\n# trailing comment without newline`,
    `prefix_rule(pattern=[${q(program)}], justification='it\\'s "fine"')\n`,
    `prefix_rule(pattern=[${q(program)}], justification="""multi\nline "quoted" \\"x\\" 'y'""")\n`,
    `prefix_rule(pattern=[${q(program)}], justification='''a\n  b''')\n`,
    `prefix_rule(pattern=[${q(program)}]) ;prefix_rule(pattern=[${q(program)}], decision='forbidden')`,
    `prefix_rule(pattern=[${q(program)}], decision="prompt")\r\nprefix_rule(pattern=[${q(program)}, ${q(sub)}], decision="forbidden")\r\n`,
    `\\\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}]);\npass;\n`,
    `prefix_rule(pattern=[${q(program)}], justification="a\\\r\nb")\r\n`,
    `prefix_rule(pattern=[${q(program)}], justification="""a\\\r\nb""")\r\n`,
    `prefix_rule(pattern=[${q(program)}], justification="cr\rinside")\n`,
    `prefix_rule(pattern=[${q(program)}], justification=r"""raw\r\nline""")\r\n`,
    `prefix_rule(pattern=[${q(program)}]) # tab\tin comment\r\n`,
    `  \t  \n\t# comment\nprefix_rule(pattern=[${q(program)}])\n\t\n`,
    `prefix_rule(pattern=[${q(program)}], decision="allow", match=[${q(program)}, [${q(program)}, ${q(sub)}]],)`,
    `prefix_rule(\n    pattern=[${q(program)}],\n    \\\n    decision="prompt",\n)\n`,
    `prefix_rule(pattern=[${q(program)}],  decision = "prompt" ,  justification = "x" )   `,
  ];
  const text = r.pick(forms);
  return {
    files: [{ name: "policy.rules", text }],
    command: [program, sub],
    pretty: r.chance(0.1),
  };
}

/** Text that is not Starlark: codex reports a parse error at a location. */
export function syntaxError(r) {
  const program = r.pick(PROGRAMS);
  const p = q(program);
  const broken = r.pick([
    `prefix_rule(pattern=[${p}], justification="unterminated)`,
    `prefix_rule(pattern=[${p}], justification='a\nb')`,
    `prefix_rule(pattern=[${p}], justification="""never closed)\n`,
    `prefix_rule(pattern=[${p}]`,
    `prefix_rule(pattern=[${p}]\n`,
    `prefix_rule(pattern=[${p})`,
    `prefix_rule(pattern=[${p}]))`,
    `prefix_rule(pattern=[${p}]]`,
    `prefix_rule(pattern=[${p}}`,
    `prefix_rule(pattern=[${p}], decision="allow"`,
    `prefix_rule(\n    pattern=[${p}],\n    decision="allow",\n`,
    `prefix_rule(\n    pattern=[${p},\n    decision="allow",\n)\n`,
    `)\n`,
    `]`,
    `prefix_rule(pattern=[${p}]) x`,
    `prefix_rule(pattern=[${p}]) prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}],, decision="allow")`,
    `prefix_rule(pattern=[${p}] decision="allow")`,
    `prefix_rule(pattern=[${p},,])`,
    `prefix_rule(pattern=[${p} "x"])`,
    `prefix_rule(=[${p}])`,
    `prefix_rule pattern=[${p}]`,
    `prefix_rule(pattern=[${p}], decision=)`,
    `prefix_rule(pattern=[${p}], "allow")`,
    `prefix_rule(pattern=[${p}], decision="allow", [${p}])`,
    `prefix_rule(pattern:[${p}])`,
    `prefix_rule(pattern=[${p}], decision="allow");;x`,
    `prefix_rule(pattern=[${p}]) = 1`,
    `\ufeffprefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\ufeff`,
    `prefix_rule(pattern=[${p}])\0`,
    `\x0cprefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\rprefix_rule(pattern=[${p}])\r`,
    `prefix_rule(pattern=[${p}], decision=$)`,
    `prefix_rule(pattern=[${p}], decision=?)`,
    "prefix_rule(pattern=[`git`])",
    `prefix_rule(pattern=[${p}], decision=!1)`,
    `prefix_rule(pattern=[${p}])\u00a0`,
    `prefix_rulé(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}], décision="allow")`,
    `prefix_rule(pattern=[“${program}”])`,
    `  prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\n  prefix_rule(pattern=[${p}])\n`,
    `\tprefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}],\tdecision="allow")`,
    `prefix_rule(pattern=[${p}])\t# comment`,
    `prefix_rule(pattern=[\n\t${p}])`,
    `prefix_rule(pattern=[${p}],\n\t\n decision="allow")`,
    `prefix_rule(pattern=[${p}], decision=007)`,
    `prefix_rule(pattern=[${p}], decision=00)`,
    `prefix_rule(pattern=[${p}], decision=1_000)`,
    `prefix_rule(pattern=[${p}], decision=0x)`,
    `prefix_rule(pattern=[${p}], decision=1abc)`,
    `prefix_rule(pattern=[${p}], justification="\\x4")`,
    `prefix_rule(pattern=[${p}], justification="\\uD800")`,
    `prefix_rule(pattern=[${p}], justification="\\U00110000")`,
    `prefix_rule(pattern=[${p}], justification="\\u{41}")`,
    `prefix_rule(pattern=[${p}], class=1)`,
    `prefix_rule(pattern=[${p}], pass=1)`,
    `prefix_rule(pattern=[${p}], if=1)`,
    `prefix_rule(pattern=[${p}], import=1)`,
    `prefix_rule(pattern=[${p}], decision=pass)`,
    `prefix_rule(pattern=[${p}], decision=class)`,
    `prefix_rule(pattern=[${p}], justification=u"x")`,
    `prefix_rule(pattern=[${p}], justification=R"x")`,
    `prefix_rule(pattern=[${p}], justification="a" "b")`,
    `prefix_rule(pattern=[${p}], pattern=["x"])`,
    `network_rule(host="a", host="b", protocol="https", decision="allow")`,
    `host_executable(name=${p}, name="g", paths=[])`,
    `while True:\n  pass\n`,
    `prefix_rule(pattern={${p}, "x"})`,
    `prefix_rule(pattern=[${p}], decision={"a" 1})`,
    `prefix_rule(pattern=[${p}], decision=("allow" "x"))`,
    `prefix_rule(pattern=[${p}], decision="allow")  \\  # stray backslash`,
    `prefix_rule(pattern=[${p}], \\ decision="allow")`,
    `prefix_rule(pattern=[${p}])\n    \nprefix_rule(pattern=[${p}])\n  )`,
    `prefix_rule(pattern=[${p}], justification='''unterminated`,
    `prefix_rule(pattern=[${p}], justification="ends with backslash\\`,
    `prefix_rule(pattern=[${p}], justification="x\\\n`,
    `"unterminated docstring\nprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}], decision="allow"),`,
    `prefix_rule(pattern=[${p}], match=["a", "b"]])`,
    `prefix_rule(pattern=[${p}]])\n`,
    `prefix_rule(pattern=[${p}], 1 = 2)`,
    `prefix_rule(pattern=[${p}], "a"=1)`,
    `prefix_rule(pattern=[${p}], decision=@)`,
    `prefix_rule(pattern=[${p}], decision=b"\\777")`,
    `prefix_rule(pattern=[${p}], decision="allow" is "x")`,
    `{"a": }`,
    `prefix_rule(pattern=[${p}], decision={"a": "b",,})`,
    `prefix_rule(pattern=[${p}], decision=(,))`,
    `prefix_rule(pattern=[${p}]) # comment with a lone \r carriage return\n`,
    `prefix_rule(pattern=[${p}]);;`,
    `;prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}]); ;`,
    `;`,
    `else:\n  prefix_rule(pattern=[${p}])\n`,
    `elif True:\n  pass\n`,
    `and`,
    `prefix_rule(pattern=[${p}], lambda=1)`,
    `prefix_rule(pattern=[${p}], not=1)`,
    `prefix_rule(pattern=[${p}], for=1)`,
    `prefix_rule(pattern=[${p}], decision=0b2)`,
    `prefix_rule(pattern=[${p}], decision=0o8)`,
    `prefix_rule(pattern=[${p}], decision=1e)`,
    `prefix_rule(pattern=[${p}], decision={1.0: 2, 1: 3})`,
    `prefix_rule(pattern=[${p}], decision={None: 1, None: 2})`,
    `prefix_rule(pattern=[${p}], decision={("a"): 1, "a": 2})`,
    `prefix_rule(pattern=[${p}], decision={(1, "x"): 1, (1, "x"): 2})`,
    `prefix_rule(pattern=[${p}], decision={b"k": 1, b"k": 2})`,
    `prefix_rule(pattern=[${p}], decision={True: 1, True: 2})`,
    `prefix_rule(pattern=[${p}])\n\n\tprefix_rule(pattern=[${p}])\n`,
    `# comment\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}])\n \t # comment\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}])  # x\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}])\r\n\tprefix_rule(pattern=[${p}])\r\n`,
    `prefix_rule(pattern=[${p}])\n\t\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(\n\t# comment\n    pattern=[${p}])`,
    `prefix_rule(pattern=[${p}]\n# trailing comment`,
    `prefix_rule(pattern=[${p}]\n\n\n`,
    `prefix_rule(pattern=[${p}],\n    decision="allow",  # comment\n`,
    `prefix_rule(pattern=[${p}], justification='a\\\r\nb')`,
    `prefix_rule(pattern=[${p}], justification=r"a\\\r\nb")`,
    `prefix_rule(pattern=[${p}], justification="x\ry")`,
    `prefix_rule(pattern=[${p}], justification="""x\ry""")`,
    `prefix_rule(pattern=[${p}], decision="allow"\n  , justification="x")`,
    `  # indented comment is fine\n  prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\n    # comment\n  prefix_rule(pattern=[${p}])`,
  ]);
  const statements = [];
  const nBefore = r.weighted([
    [4, 0],
    [3, 1],
    [2, 2],
    [1, 4],
  ]);
  for (let i = 0; i < nBefore; i++)
    statements.push(prefixRuleText(r, randomRule(r, { examples: 0.2 })));
  statements.push(broken);
  if (r.chance(0.3)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0 })));
  // Statement separators after a broken statement can change the error; keep newline joins.
  let text = statements.join(r.pick(["\n", "\n\n"]));
  if (r.chance(0.5) && !broken.endsWith("\n")) text += "\n";
  return { files: [{ name: "policy.rules", text }], command: [program], pretty: false };
}

/** Errors of different stages in one policy: which one codex reports first. */
export function errorPrecedence(r) {
  const p = q(r.pick(PROGRAMS));
  const snippets = {
    lexical: [
      `prefix_rule(pattern=[${p}], justification="\\x4")`,
      `prefix_rule(pattern=[${p}],\tdecision="allow")`,
      `prefix_rule(pattern=[${p}], decision=$)`,
      `prefix_rule(pattern=[${p}], decision=007)`,
      `prefix_rule(pattern=[${p}], justification="unterminated)`,
      `\tprefix_rule(pattern=[${p}])`,
    ],
    parse: [
      `prefix_rule(pattern=[${p}]))`,
      `prefix_rule(pattern=[${p}] decision="allow")`,
      `prefix_rule(pattern=[,])`,
      `prefix_rule(pattern=[${p}]);;`,
      `  prefix_rule(pattern=[${p}])`,
      `prefix_rule(pattern=[${p}], pass=1)`,
    ],
    static: [
      `prefix_rule(pattern=[${p}], decision={"a": 1, "a": 2})`,
      `prefix_rule(pattern=[${p}], pattern=["y"])`,
      `prefix_rule(pattern=[${p}], "allow")`,
      `prefix_rule(pattern=[${p}]) = 1`,
      `prefix_rule(pattern=[${p}]),`,
    ],
    name: [
      `foo()`,
      `prefix_rule(pattern=[x])`,
      `prefix_rule(pattern=[${p}], decision=allow)`,
      `prefix_rules(pattern=[${p}])`,
    ],
    eval: [
      `prefix_rule(pattern=[])`,
      `prefix_rule(pattern=[${p}], decision="deny")`,
      `host_executable(name="a/b", paths=[])`,
      `prefix_rule(pattern=[${p}], foo=1)`,
      `network_rule(host="*", protocol="https", decision="allow")`,
    ],
    validation: [
      `prefix_rule(pattern=[${p}], match=["zzz"])`,
      `prefix_rule(pattern=[${p}], not_match=[${q(`${p.slice(1, -1)} y`)}])`,
    ],
  };
  const kinds = r.sample(Object.keys(snippets), r.int(2, 3));
  const statements = kinds.map((kind) => r.pick(snippets[kind]));
  const filler = () => prefixRuleText(r, randomRule(r, { examples: 0 }));
  const spread = [];
  for (const statement of statements) {
    if (r.chance(0.5)) spread.push(filler());
    spread.push(statement);
  }
  if (r.chance(0.3)) spread.push(filler());
  if (r.chance(0.3) && spread.length > 1) {
    const cut = r.int(1, spread.length - 1);
    return {
      files: [
        { name: "first.rules", text: `${spread.slice(0, cut).join("\n")}\n` },
        { name: "second.rules", text: `${spread.slice(cut).join("\n")}\n` },
      ],
      command: ["git"],
      pretty: false,
    };
  }
  return {
    files: [{ name: "policy.rules", text: `${spread.join("\n")}\n` }],
    command: ["git"],
    pretty: false,
  };
}

/** Names that do not exist: a typo'd builtin, an unquoted string, print(). */
export function unknownName(r) {
  const program = r.pick(PROGRAMS);
  const p = q(program);
  const statement = r.pick([
    "foo()",
    `print("hello")`,
    `prefix_rules(pattern=[${p}])`,
    `Prefix_rule(pattern=[${p}])`,
    `prefixrule(pattern=[${p}])`,
    `prefix_rule(pattern=[${program}])`,
    `prefix_rule(pattern=[${p}], decision=allow)`,
    `prefix_rule(pattern=[${p}], decision=prompt)`,
    `prefix_rule(pattern=[${p}], decision=forbidden)`,
    `prefix_rule(pattern=[${p}], canonical_matching=true)`,
    `prefix_rule(pattern=[${p}], justification=none)`,
    `prefix_rule(pattern=[${p}], justification=null)`,
    `network_rules(host="example.com", protocol="https", decision="allow")`,
    `host_executables(name=${p}, paths=[])`,
    `host_executable(name=${p}, paths=[path])`,
    `json(1)`,
    `struct(a=1)`,
    `set([1])`,
    `rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}, subcommand])`,
    `prefix_rule(pattern=[${p}], match=[example])`,
    `prefix_rule(pattern=[${p}], decision=ALLOW)`,
    `prefix_rule(pattern=[${p}], decision=Allow)`,
    `undefined`,
    `[undefined_a, undefined_b]`,
    `network_rule(host=example, protocol="https", decision="allow")`,
  ]);
  const statements = [];
  const nBefore = r.int(0, 3);
  for (let i = 0; i < nBefore; i++)
    statements.push(prefixRuleText(r, randomRule(r, { examples: 0.2 })));
  statements.push(statement);
  if (r.chance(0.4)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0.2 })));
  if (r.chance(0.2))
    statements.push(
      r.pick(["bar()", `prefix_rule(pattern=[${p}], decision="bogus")`, "prefix_rule(pattern=[])"]),
    );
  const files = [{ name: "policy.rules", text: fileText(r, statements) }];
  if (r.chance(0.2))
    files.unshift({
      name: "base.rules",
      text: fileText(r, [prefixRuleText(r, randomRule(r, { program, examples: 0 }))]),
    });
  return { files, command: [program], pretty: false };
}
