/**
 * The environment an escalated program gets: the requesting process's, minus every variable
 * that could make a trusted program run code chosen inside the sandbox.
 *
 * Guards the escalation invariant: a sandboxed command must not hijack the program the human or
 * the policy allowed to run outside (loader preloads, interpreter start-up files and options,
 * git configuration injection, exported shell functions, execward's own hook variables).
 */
import { PROTOCOL_ENV_NAMES } from "./protocol.js";

const DROPPED_NAMES = new Set<string>([
  ...PROTOCOL_ENV_NAMES,
  "BASH_ENV",
  "ENV",
  "SHELLOPTS",
  "BASHOPTS",
  "PS4",
  "PROMPT_COMMAND",
  "NODE_OPTIONS",
  "NODE_PATH",
  "PYTHONPATH",
  "PYTHONSTARTUP",
  "PYTHONHOME",
  "PYTHONINSPECT",
  "PYTHONUSERBASE",
  "PERL5OPT",
  "PERL5LIB",
  "PERLLIB",
  "PERL5DB",
  "RUBYOPT",
  "RUBYLIB",
  "GEM_PATH",
  "JAVA_TOOL_OPTIONS",
  "_JAVA_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "GIT_EXEC_PATH",
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_ASKPASS",
  "GIT_EXTERNAL_DIFF",
  "GIT_PAGER",
  "GIT_EDITOR",
  "GIT_TEMPLATE_DIR",
  "GIT_PROXY_COMMAND",
  "SSH_ASKPASS",
  "EDITOR",
  "VISUAL",
  "PAGER",
  "IFS",
]);

const DROPPED_PREFIXES = [
  "LD_",
  "DYLD_",
  "GIT_CONFIG",
  "BASH_FUNC_",
  "MALLOC_",
  "GLIBC_TUNABLES",
  "LUA_",
];

/** Whether `name` is dropped from an escalated program's environment. */
export function isDroppedFromEscalation(name: string, value: string): boolean {
  return (
    DROPPED_NAMES.has(name) ||
    DROPPED_PREFIXES.some((prefix) => name.startsWith(prefix)) ||
    value.startsWith("() {")
  );
}

/** Variables execward set for the sandbox only, and what they were before (if anything). */
export interface InsideOnlyEnv {
  readonly inside: Readonly<Record<string, string>>;
  readonly outside: Readonly<Record<string, string>>;
}

/**
 * `insideOnly`: variables that make sense only inside the sandbox (the proxy's in-sandbox
 * address, `HTTP_PROXY=http://127.0.0.1:3128`: outside, that is the host's loopback, where
 * anything might listen). While they still have exactly that value, the escalated program gets
 * the value from before the sandbox instead, or nothing.
 */
export function sanitizeEscalatedEnv(
  env: Readonly<Record<string, string>>,
  insideOnly: InsideOnlyEnv = { inside: {}, outside: {} },
): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (isDroppedFromEscalation(name, value)) continue;
    if (insideOnly.inside[name] === value) {
      const before = insideOnly.outside[name];
      if (before !== undefined && !isDroppedFromEscalation(name, before)) clean[name] = before;
      continue;
    }
    clean[name] = value;
  }
  return clean;
}
