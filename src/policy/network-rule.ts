/**
 * `network_rule` values: protocols, decisions and host normalisation, as codex execpolicy.
 *
 * A network rule names one concrete host (no scheme, path or wildcard): the host is trimmed,
 * stripped of a `:port` or IPv6 brackets and trailing dots, and lower-cased, so that
 * `Example.COM.:443` and `example.com` are one destination.
 */
import { parseDecision, type Decision } from "./decision.js";
import { PolicyError } from "./policy-error.js";
import { containsRustWhitespace, rustTrim } from "./rust-str.js";

export type NetworkProtocol = "http" | "https" | "socks5_tcp" | "socks5_udp";

export interface NetworkRule {
  readonly host: string;
  readonly protocol: NetworkProtocol;
  readonly decision: Decision;
  readonly justification: string | undefined;
  /** Where the rule was written (absent for rules made in code). */
  readonly source?: { readonly file: string; readonly line: number };
}

export function parseNetworkProtocol(raw: string): NetworkProtocol {
  switch (raw) {
    case "http":
      return "http";
    case "https":
    case "https_connect":
    case "http-connect":
      return "https";
    case "socks5_tcp":
    case "socks5_udp":
      return raw;
    default:
      throw invalidRule(
        `network_rule protocol must be one of http, https, socks5_tcp, socks5_udp (got ${raw})`,
      );
  }
}

/** `deny` is accepted as a synonym of `forbidden` in network rules only. */
export function parseNetworkDecision(raw: string): Decision {
  return raw === "deny" ? "forbidden" : parseDecision(raw);
}

export function normalizeNetworkRuleHost(raw: string): string {
  let host = rustTrim(raw);
  if (host.length === 0) throw invalidRule("network_rule host cannot be empty");
  if (host.includes("://") || /[/?#]/.test(host)) {
    throw invalidRule(
      "network_rule host must be a hostname or IP literal (without scheme or path)",
    );
  }
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close < 0) throw invalidRule("network_rule host has an invalid bracketed IPv6 literal");
    const rest = host.slice(close + 1);
    if (rest.length > 0 && !/^:[0-9]+$/.test(rest)) {
      throw invalidRule(`network_rule host contains an unsupported suffix: ${raw}`);
    }
    host = host.slice(1, close);
  } else {
    const colon = host.indexOf(":");
    if (colon > 0 && colon === host.lastIndexOf(":") && /^[0-9]+$/.test(host.slice(colon + 1))) {
      host = host.slice(0, colon);
    }
  }
  const normalized = rustTrim(host.replace(/\.+$/, "")).replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (normalized.length === 0) throw invalidRule("network_rule host cannot be empty");
  if (normalized.includes("*")) {
    throw invalidRule("network_rule host must be a specific host; wildcards are not allowed");
  }
  if (containsRustWhitespace(normalized)) {
    throw invalidRule("network_rule host cannot contain whitespace");
  }
  return normalized;
}

function invalidRule(detail: string): PolicyError {
  return new PolicyError("invalid_rule", `invalid rule: ${detail}`);
}
