/**
 * Host patterns of the network allowed and denied lists, as codex's network-proxy reads them.
 *
 * - `example.com` matches that host only;
 * - `*.example.com` matches its subdomains, at any depth, but not `example.com` itself;
 * - `**.example.com` matches `example.com` and its subdomains;
 * - `*` matches every host, and only in the allowed list: denied entries win over allowed ones,
 *   so a denied `*` would silently make the allowed list meaningless;
 * - a `*` inside a label (`region*.example.com`) matches any run of characters within that one
 *   label, never a dot, so it cannot stretch into another label or another domain;
 * - IP literals (`10.0.0.1`, `::1`) match that address only.
 *
 * Hosts and patterns are compared after normalizeHost: trimmed, without IPv6 brackets, `:port`
 * or trailing dots, and lower-cased in ASCII only, so that no Unicode case mapping (the Kelvin
 * sign lower-cases to `k`) can turn a foreign name into an allowed one. Patterns are strict host
 * names (letters, digits, `-`, `_`, `.`, and `*`): a scheme, path, whitespace, an empty label, or
 * a glob character codex's glob engine would read (`?`, `[`, `{`) is an error, not a pattern
 * that silently never matches.
 *
 * Error codes: `invalid_host_pattern`.
 */
import { ExecwardError } from "../errors.js";
import { containsRustWhitespace, rustTrim } from "../policy/rust-str.js";
import { cidrContains, isIpLiteral } from "./address-class.js";

export type HostList = "allowed" | "denied";

/** Which names below a domain pattern's labels match. */
export type DomainReach =
  /** The labels themselves: `example.com`, `region*.example.com`. */
  | "exact"
  /** Names strictly below them: `*.example.com`. */
  | "subdomains"
  /** Both: `**.example.com`. */
  | "apex-and-subdomains";

export type HostPattern =
  | { readonly kind: "any"; readonly text: "*" }
  | { readonly kind: "ip"; readonly text: string; readonly version: 4 | 6 }
  | {
      readonly kind: "domain";
      readonly text: string;
      readonly reach: DomainReach;
      /** The labels after any leading `*.` or `**.`; each may contain `*`. */
      readonly labels: readonly string[];
    };

/**
 * `[::1]:8080` → `::1`, ` Example.COM.:443 ` → `example.com`. A host with exactly one colon
 * loses it and what follows (the port), as upstream's normalize_host; an unbracketed IPv6
 * literal has several and is only lower-cased.
 */
export function normalizeHost(raw: string): string {
  let host = rustTrim(raw);
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close > 0) host = host.slice(1, close);
  } else {
    const colon = host.indexOf(":");
    if (colon >= 0 && colon === host.lastIndexOf(":")) host = host.slice(0, colon);
  }
  return host.replace(/[A-Z]/g, (c) => c.toLowerCase()).replace(/\.+$/, "");
}

export function parseHostPattern(raw: string, list: HostList): HostPattern {
  const trimmed = rustTrim(raw);
  if (trimmed.length === 0) throw invalidPattern(raw, list, "it is empty");
  if (trimmed.includes("://")) {
    throw invalidPattern(raw, list, "write the host alone, without a scheme");
  }
  if (trimmed.includes("/")) {
    throw invalidPattern(raw, list, "write the host alone, without a path");
  }
  if (containsRustWhitespace(trimmed)) throw invalidPattern(raw, list, "it contains whitespace");
  if (trimmed === "*") {
    if (list === "denied") {
      throw invalidPattern(
        raw,
        list,
        "`*` is only valid in the allowed list (denied entries win, so it would deny every host)",
      );
    }
    return { kind: "any", text: "*" };
  }
  const text = normalizeHost(trimmed);
  const version = isIpLiteral(text);
  if (trimmed.startsWith("[") && (version !== 6 || !/^\[[^\]]*\](?::[0-9]+)?$/.test(trimmed))) {
    throw invalidPattern(raw, list, "brackets hold an IPv6 literal, optionally followed by :port");
  }
  if (version !== 0) return { kind: "ip", text, version };
  if (text.length === 0) throw invalidPattern(raw, list, "it names no host");
  const labels = text.split(".");
  const reach: DomainReach =
    labels[0] === "**" ? "apex-and-subdomains" : labels[0] === "*" ? "subdomains" : "exact";
  const domain = reach === "exact" ? labels : labels.slice(1);
  for (const label of domain) {
    if (label.length === 0) throw invalidPattern(raw, list, "it has an empty label");
    if (label.includes("**")) {
      throw invalidPattern(
        raw,
        list,
        "`**` is only valid as a whole first label (`**.example.com`)",
      );
    }
    const bad = /[^a-z0-9_*-]/.exec(label);
    if (bad !== null) {
      throw invalidPattern(
        raw,
        list,
        `it contains ${JSON.stringify(bad[0])}; a pattern is a host name (letters, digits, -, _, .) with * as its only wildcard, or an IP literal`,
      );
    }
  }
  if (domain.every((label) => /^\*+$/.test(label))) {
    throw invalidPattern(raw, list, "it has no literal part; only a bare `*` matches every host");
  }
  return { kind: "domain", text, reach, labels: domain };
}

/** Whether `host`, already normalized with normalizeHost, matches the pattern. */
export function matchesHost(pattern: HostPattern, host: string): boolean {
  switch (pattern.kind) {
    case "any":
      return true;
    case "ip":
      // By value, so `::1` matches `0:0::1`, and `127.0.0.1` matches `::ffff:127.0.0.1`.
      return isIpLiteral(host) !== 0 && cidrContains(pattern.text, host);
    case "domain":
      return matchesDomain(pattern.reach, pattern.labels, host);
  }
}

/** True for a pattern that names one host: no `*` anywhere. */
export function isExactPattern(pattern: HostPattern): boolean {
  switch (pattern.kind) {
    case "any":
      return false;
    case "ip":
      return true;
    case "domain":
      return pattern.reach === "exact" && !pattern.labels.some((label) => label.includes("*"));
  }
}

/** The pattern's normalized text, e.g. for messages and audit logs. */
export function describePattern(pattern: HostPattern): string {
  return pattern.text;
}

function matchesDomain(reach: DomainReach, labels: readonly string[], host: string): boolean {
  // Domain labels say nothing about an IPv6 address (it has no dotted labels to match).
  if (isIpLiteral(host) === 6) return false;
  const hostLabels = host.split(".");
  const extra = hostLabels.length - labels.length;
  if (extra < 0) return false;
  if (!labels.every((glob, i) => matchesLabel(glob, hostLabels[extra + i] ?? ""))) return false;
  // A subdomain needs a non-empty name in front: `.example.com` is not one.
  const hasSubdomain = extra > 0 && hostLabels.slice(0, extra).join(".").length > 0;
  switch (reach) {
    case "exact":
      return extra === 0;
    case "subdomains":
      return hasSubdomain;
    case "apex-and-subdomains":
      return extra === 0 || hasSubdomain;
  }
}

/** A label glob against one host label: `*` is any run of characters, an empty label never matches. */
function matchesLabel(glob: string, label: string): boolean {
  if (label.length === 0) return false;
  const segments = glob.split("*");
  const first = segments[0] ?? "";
  if (segments.length === 1) return label === first;
  const last = segments[segments.length - 1] ?? "";
  const end = label.length - last.length;
  if (end < first.length || !label.startsWith(first) || !label.endsWith(last)) return false;
  let position = first.length;
  for (const segment of segments.slice(1, -1)) {
    const found = label.indexOf(segment, position);
    if (found < 0 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

function invalidPattern(raw: string, list: HostList, detail: string): ExecwardError {
  return new ExecwardError(
    "invalid_host_pattern",
    `invalid ${list} host pattern ${JSON.stringify(raw)}: ${detail}`,
    { data: { pattern: raw, list } },
  );
}
