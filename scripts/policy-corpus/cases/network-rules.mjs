/**
 * Case builders for network_rule calls, valid and invalid (they never show in the output),
 * and the hosts and protocols they use.
 */
import { randomRule } from "../random-rules.mjs";
import { fileText, networkRuleText, prefixRuleText } from "../rules-text.mjs";
import { JUSTIFICATIONS, PROGRAMS } from "../vocabulary.mjs";

export const NETWORK_HOSTS = [
  "example.com",
  " example.com ",
  "example.com.",
  "EXAMPLE.COM",
  "Example.COM.:443",
  "example.com:443",
  "example.com:",
  "example.com:abc",
  "[::1]:443",
  "[::1]",
  "[::1]x",
  "::1",
  "*.example.com",
  "*",
  "a.*.com",
  "exa mple.com",
  "http://x",
  "x/y",
  "x?y",
  "x#y",
  "",
  "  ",
  ".",
  "...",
  "localhost",
  "127.0.0.1",
  "1.2.3.4:80",
  "é.com",
  "ÉCOLE.fr",
  "[::1",
  "x@y",
  "[fe80::1%eth0]",
  "[]",
  "[]:80",
  "[::1]:",
  "[x]:1",
  "a\u3000b",
  "a\u0085b",
  "a\u00a0b",
  "a\ufeffb",
  "a\nb",
  "a\tb",
  "[*]",
  "*:80",
  "[a b]",
  "[::1]]",
  "]",
  "x]",
  "[::1] ",
  "x:/y",
  "//x",
  "a,b",
  "\u0085example.com\u0085",
  "\u00a0example.com",
];

export const BAD_PROTOCOLS = [
  "HTTP",
  "Https",
  "socks5",
  "socks5h",
  "tcp",
  "udp",
  "http2",
  "ws",
  "",
  "https ",
  "http_connect",
  "socks5-tcp",
  "*",
];

export function validNetworkRule(r) {
  return {
    host: r.pick([
      "example.com",
      "api.github.com",
      "registry.npmjs.org:443",
      "[::1]",
      "LOCALHOST.",
    ]),
    protocol: r.pick([
      "https",
      "http",
      "socks5_tcp",
      "socks5_udp",
      "https_connect",
      "http-connect",
    ]),
    decision: r.pick(["allow", "deny", "prompt", "forbidden"]),
    justification: r.chance(0.3) ? r.pick(JUSTIFICATIONS) : undefined,
  };
}

/** network_rule calls, valid and invalid (they never show in the output). */
export function networkRules(r) {
  const program = r.pick(PROGRAMS);
  const statements = [];
  const n = r.int(1, 3);
  for (let i = 0; i < n; i++) {
    statements.push(
      networkRuleText(
        r,
        r.chance(0.6)
          ? validNetworkRule(r)
          : {
              host: r.pick(NETWORK_HOSTS),
              protocol: r.chance(0.8)
                ? r.pick([
                    "https",
                    "http",
                    "socks5_tcp",
                    "socks5_udp",
                    "https_connect",
                    "http-connect",
                  ])
                : r.pick(BAD_PROTOCOLS),
              decision: r.chance(0.9)
                ? r.pick(["allow", "deny", "prompt", "forbidden"])
                : r.pick(["ask", "Deny", ""]),
            },
      ),
    );
  }
  statements.splice(
    r.int(0, statements.length),
    0,
    prefixRuleText(r, randomRule(r, { program, examples: 0.1 })),
  );
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: [program, "x"],
    pretty: false,
  };
}
