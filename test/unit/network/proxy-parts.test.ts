// The proxy's small parts: a CONNECT request's authority, and the proxy environment variables.
import { describe, expect, it } from "vitest";

import { parseAuthority as parseDestinationAuthority } from "../../../src/network/destination.js";
import {
  proxyEnv,
  SANDBOX_HTTP_PROXY_PORT,
  SANDBOX_SOCKS_PROXY_PORT,
} from "../../../src/network/proxy-env.js";

/** The canonical host and port of a CONNECT authority, or undefined when it is refused. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const parsed = parseDestinationAuthority(authority);
  return parsed.ok ? { host: parsed.destination.host, port: parsed.destination.port } : undefined;
}

describe("parseAuthority", () => {
  it.each([
    ["example.com:443", { host: "example.com", port: 443 }],
    ["Example.COM:80", { host: "example.com", port: 80 }],
    ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
    ["a:1", { host: "a", port: 1 }],
    ["example.com:65535", { host: "example.com", port: 65535 }],
    ["example.com:00443", { host: "example.com", port: 443 }],
    ["[::1]:443", { host: "::1", port: 443 }],
    ["[2001:db8::1]:8443", { host: "2001:db8::1", port: 8443 }],
    ["[::ffff:127.0.0.1]:22", { host: "::ffff:7f00:1", port: 22 }],
    ["[2001:DB8:0:0:0:0:0:1]:443", { host: "2001:db8::1", port: 443 }],
    ["127.1:80", { host: "127.0.0.1", port: 80 }],
    ["example.com.:443", { host: "example.com", port: 443 }],
  ])("%j → %j", (authority, parsed) => {
    expect(parseAuthority(authority)).toEqual(parsed);
  });

  it.each([
    // no port
    "example.com",
    "example.com:",
    "[::1]",
    "[::1]:",
    // ports out of range
    "example.com:0",
    "example.com:00000",
    "example.com:65536",
    "example.com:70000",
    "example.com:123456",
    "example.com:-1",
    "example.com:+80",
    "example.com:8o",
    // garbage
    "",
    ":443",
    "::1:443",
    "[]:443",
    "[::1]443",
    "[example.com]:443",
    "[::1]:443:1",
    "example.com:443:1",
    "http://example.com:443",
    "example.com:443/path",
    "[::1:443",
    "::1]:443",
  ])("%j → undefined", (authority) => {
    expect(parseAuthority(authority)).toBeUndefined();
  });
});

describe("proxyEnv", () => {
  const env = proxyEnv(3128, 1080);

  it.each([
    ["HTTP_PROXY", "http://127.0.0.1:3128"],
    ["http_proxy", "http://127.0.0.1:3128"],
    ["HTTPS_PROXY", "http://127.0.0.1:3128"],
    ["https_proxy", "http://127.0.0.1:3128"],
    ["WSS_PROXY", "http://127.0.0.1:3128"],
    ["npm_config_https_proxy", "http://127.0.0.1:3128"],
    ["ALL_PROXY", "socks5h://127.0.0.1:1080"],
    ["all_proxy", "socks5h://127.0.0.1:1080"],
    ["FTP_PROXY", "socks5h://127.0.0.1:1080"],
  ])("%s=%s", (name, value) => {
    expect(env[name]).toBe(value);
  });

  it.each(["NO_PROXY", "no_proxy"])("%s names localhost and the loopback addresses", (name) => {
    const hosts = (env[name] ?? "").split(",");
    expect(hosts).toContain("localhost");
    expect(hosts).toContain("127.0.0.1");
    expect(hosts).toContain("::1");
  });

  it("uses the ports it is given, each for its own protocol", () => {
    const other = proxyEnv(18080, 11080);
    expect(other.HTTP_PROXY).toBe("http://127.0.0.1:18080");
    expect(other.HTTPS_PROXY).toBe("http://127.0.0.1:18080");
    expect(other.ALL_PROXY).toBe("socks5h://127.0.0.1:11080");
  });

  it("points every proxy variable at 127.0.0.1", () => {
    // ELECTRON_GET_USE_PROXY is a switch ("true"), the NO_PROXY spellings lists of hosts.
    const proxies = Object.entries(env).filter(
      ([name]) =>
        /_proxy$/i.test(name) &&
        !/(?:^|_)no_proxy$/i.test(name) &&
        name !== "ELECTRON_GET_USE_PROXY",
    );
    expect(proxies.length).toBeGreaterThan(10);
    for (const [name, value] of proxies) {
      expect([name, value]).toEqual([
        name,
        expect.stringMatching(/^(?:http|socks5h):\/\/127\.0\.0\.1:\d+$/),
      ]);
    }
  });

  it("has the sandbox's fixed ports", () => {
    expect([SANDBOX_HTTP_PROXY_PORT, SANDBOX_SOCKS_PROXY_PORT]).toEqual([3128, 1080]);
  });
});
