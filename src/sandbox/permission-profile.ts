/**
 * Codex's permission profile (what Codex 0.169 sends with every MCP tool call as
 * `permissionProfile`, codex-rs `protocol/src/permissions.rs`), mapped onto execward's sandbox
 * exactly, or refused with the reason. Pure: JSON and a context in, a plan out; the disk is
 * looked at later, by the layout (profile-layout.ts).
 *
 *   {"type": "disabled"}                                  no sandbox
 *   {"type": "external", "network": N}                    somebody else's sandbox
 *   {"type": "managed", "network": N,
 *    "file_system": {"type": "unrestricted"} | {"type": "restricted", "entries": [E...]}}
 *   N: "restricted" | "enabled"
 *   E: {"path": P, "access": "read" | "write" | "deny" (alias "none"), "missing_path_behavior"?: "skip"}
 *   P: {"type": "path", "path": "/abs" | "file:///abs"} | {"type": "glob_pattern", "pattern": ...}
 *    | {"type": "special", "value": {"kind": "root" | "minimal" | "project_roots" (alias
 *      "current_working_directory", optional "subpath") | "tmpdir" | "slash_tmp" | other}}
 *
 * Codex's meaning, kept here: the most specific entry covering a path decides its access, and
 * between equally specific ones `deny` beats `write` beats `read`; a `root` read entry means the
 * whole disk is readable, otherwise only the entries are (`minimal` adds the platform's
 * defaults); write entries are writable roots and non-write entries inside them are read-only
 * carve-outs; `deny` paths are hidden where they exist; `skip` lets a missing path be ignored.
 * Unknown special paths granting access are ignored (as Codex does: that only takes access
 * away).
 *
 * Guards: the profile is parsed strictly (an unknown field or value is an error, never a
 * default), and anything the bwrap planner cannot express exactly is refused
 * (`sandbox_state_unsupported`): a writable root over the whole disk, glob patterns, access
 * granted again inside a denied path or a writable path inside a read-only carve-out, a denied
 * `/`, `/proc` or `/dev`, a working directory the profile does not let the command read.
 * Nothing is ever planned with fewer restrictions than the profile asks for.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

import { ExecwardError } from "../errors.js";
import { isWithin } from "./plan-bwrap.js";
import type { SandboxPolicy } from "./sandbox-policy.js";

const NetworkSchema = z.enum(["restricted", "enabled"]);

const SpecialPathSchema = z
  .object({
    kind: z.string(),
    subpath: z.string().optional(),
    path: z.string().optional(),
  })
  .strict();

const FileSystemPathSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("path"), path: z.string() }).strict(),
  z.object({ type: z.literal("glob_pattern"), pattern: z.string() }).strict(),
  z.object({ type: z.literal("special"), value: SpecialPathSchema }).strict(),
]);

const EntrySchema = z
  .object({
    path: FileSystemPathSchema,
    access: z.enum(["read", "write", "deny", "none"]),
    missing_path_behavior: z.literal("skip").optional(),
  })
  .strict();
export type PermissionEntry = z.infer<typeof EntrySchema>;

export const PermissionProfileSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("disabled") }).strict(),
  z.object({ type: z.literal("external"), network: NetworkSchema }).strict(),
  z
    .object({
      type: z.literal("managed"),
      network: NetworkSchema,
      file_system: z.discriminatedUnion("type", [
        z.object({ type: z.literal("unrestricted") }).strict(),
        z
          .object({
            type: z.literal("restricted"),
            entries: z.array(EntrySchema).default([]),
            glob_scan_max_depth: z.number().int().nonnegative().nullable().optional(),
          })
          .strict(),
      ]),
    })
    .strict(),
]);
export type PermissionProfile = z.infer<typeof PermissionProfileSchema>;

/** Where the profile's relative names point. */
export interface ProfileContext {
  /** The sandbox's working directory (Codex's `sandboxCwd`): `project_roots` resolve here. */
  readonly cwd: string;
  /** `$TMPDIR` of the command, if set: the `tmpdir` special path. */
  readonly tmpdir: string | undefined;
  /** Where the command starts: must be readable under the profile. */
  readonly commandCwd: string;
}

/** A path the layout looks up on disk; `optional` ones may be missing (`skip`, /tmp, $TMPDIR). */
export interface ProfilePath {
  readonly path: string;
  readonly optional: boolean;
}

export type ProfilePlan =
  /** No filesystem sandbox of execward's: `danger-full-access` or `external-sandbox`. */
  | { readonly kind: "unsandboxed"; readonly policy: SandboxPolicy }
  | {
      readonly kind: "sandboxed";
      /**
       * Stands for the profile's read access and network in the planner (which reads only
       * those from it); the writable roots are `writable`, not this policy's.
       */
      readonly policy: SandboxPolicy;
      readonly writable: readonly ProfilePath[];
      /** Read-only carve-outs inside writable roots. */
      readonly readOnly: readonly ProfilePath[];
      /** Denied paths: hidden (no reads, no writes) where they exist. */
      readonly hidden: readonly ProfilePath[];
    };

type Access = "read" | "write" | "deny";

interface Resolved {
  readonly path: string;
  readonly access: Access;
  readonly optional: boolean;
}

export function parsePermissionProfile(value: unknown): PermissionProfile {
  const parsed = PermissionProfileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
  throw unsupported(`invalid permission profile: ${where}${issue?.message ?? "invalid"}`, value);
}

export function planPermissionProfile(
  profile: PermissionProfile,
  context: ProfileContext,
): ProfilePlan {
  if (profile.type === "disabled")
    return { kind: "unsandboxed", policy: { type: "danger-full-access" } };
  if (profile.type === "external")
    return {
      kind: "unsandboxed",
      policy: { type: "external-sandbox", network_access: profile.network },
    };
  const network = profile.network === "enabled";
  if (profile.file_system.type === "unrestricted") {
    if (network) return { kind: "unsandboxed", policy: { type: "danger-full-access" } };
    throw unsupported(
      "the permission profile makes the whole disk writable without network access, which execward's sandbox cannot express",
      profile,
    );
  }

  const entries = profile.file_system.entries;
  const specials = new Map<string, Access>();
  const resolved: Resolved[] = [];
  for (const entry of entries) {
    const access: Access = entry.access === "none" ? "deny" : entry.access;
    const skip = entry.missing_path_behavior === "skip";
    const target = entry.path;
    if (target.type === "glob_pattern") {
      throw unsupported(
        `the permission profile has a glob pattern (${JSON.stringify(target.pattern)}), which execward's sandbox cannot enforce`,
        profile,
      );
    }
    if (target.type === "path") {
      resolved.push({ path: absolute(target.path, profile), access, optional: skip });
      continue;
    }
    const kind = target.value.kind;
    switch (kind) {
      case "root":
      case "minimal":
        specials.set(kind, strongest(specials.get(kind), access));
        break;
      case "project_roots":
      case "current_working_directory":
        resolved.push({
          path: projectPath(context.cwd, target.value.subpath, profile),
          access,
          optional: skip,
        });
        break;
      case "slash_tmp":
        resolved.push({ path: "/tmp", access, optional: true });
        break;
      case "tmpdir":
        if (context.tmpdir !== undefined && context.tmpdir !== "")
          resolved.push({ path: path.resolve(context.tmpdir), access, optional: true });
        break;
      default:
        // Codex ignores special paths it does not know; for a grant that only takes access
        // away, but ignoring a deny would give some.
        if (access === "deny")
          throw unsupported(
            `the permission profile denies an unknown special path (${kind})`,
            profile,
          );
    }
  }

  const root = specials.get("root");
  if (root === "write") {
    throw unsupported(
      "the permission profile makes the whole disk writable, which execward's sandbox cannot express with other restrictions",
      profile,
    );
  }
  if (specials.get("minimal") === "deny") {
    throw unsupported(
      "the permission profile denies the platform's minimal paths, which execward's sandbox cannot hide",
      profile,
    );
  }
  const readsEverything = root === "read";
  const accessOf = (candidate: string): Access => effectiveAccess(resolved, candidate, root);

  // Deny entries are hidden wherever they exist (masking what the sandbox could not see anyway
  // costs nothing, and is simpler to get right than deciding what it could see). Inside one,
  // nothing may be granted again: a mask hides everything under it.
  const hidden = outermost(dedupe(resolved.filter((e) => e.access === "deny")));
  for (const mask of hidden) {
    if (mask.path === "/" || isWithin(mask.path, "/proc") || isWithin(mask.path, "/dev"))
      throw unsupported(
        `the permission profile denies ${mask.path}, which execward's sandbox cannot hide`,
        profile,
      );
    const regranted = resolved.find(
      (e) =>
        e.access !== "deny" &&
        e.path !== mask.path &&
        isWithin(e.path, mask.path) &&
        accessOf(e.path) !== "deny",
    );
    if (regranted !== undefined) {
      throw unsupported(
        `the permission profile grants ${regranted.path} inside the denied ${mask.path}, which execward's sandbox cannot express`,
        profile,
      );
    }
  }

  const writable = dedupe(
    resolved.filter((e) => e.access === "write" && accessOf(e.path) === "write"),
  );
  const readOnly = dedupe(
    resolved.filter(
      (e) =>
        e.access === "read" &&
        accessOf(e.path) === "read" &&
        writable.some((root) => root.path !== e.path && isWithin(e.path, root.path)),
    ),
  );
  for (const root of writable) {
    const shadow = readOnly.find(
      (carve) => carve.path !== root.path && isWithin(root.path, carve.path),
    );
    if (shadow !== undefined) {
      throw unsupported(
        `the permission profile makes ${root.path} writable inside the read-only ${shadow.path}, which execward's sandbox cannot express`,
        profile,
      );
    }
  }
  if (accessOf(context.commandCwd) === "deny") {
    throw unsupported(
      `the permission profile does not let the command read its working directory ${context.commandCwd}`,
      profile,
    );
  }

  const readable = dedupe(
    resolved.filter((e) => e.access !== "deny" && accessOf(e.path) !== "deny"),
  );
  const policy: SandboxPolicy = readsEverything
    ? { type: "read-only", access: { type: "full-access" }, network_access: network }
    : {
        type: "read-only",
        access: {
          type: "restricted",
          include_platform_defaults:
            specials.get("minimal") === "read" || specials.get("minimal") === "write",
          readable_roots: readable.map((e) => e.path),
        },
        network_access: network,
      };
  return { kind: "sandboxed", policy, writable, readOnly, hidden };
}

/** Codex's precedence: the most specific covering entry, then deny > write > read. */
function effectiveAccess(
  entries: readonly Resolved[],
  candidate: string,
  root: Access | undefined,
): Access {
  let best: Resolved | undefined;
  for (const entry of entries) {
    if (!isWithin(candidate, entry.path)) continue;
    if (
      best === undefined ||
      entry.path.length > best.path.length ||
      (entry.path.length === best.path.length && RANK[entry.access] > RANK[best.access])
    )
      best = entry;
  }
  return best?.access ?? root ?? "deny";
}

const RANK: Readonly<Record<Access, number>> = { read: 0, write: 1, deny: 2 };

function strongest(a: Access | undefined, b: Access): Access {
  return a === undefined || RANK[b] > RANK[a] ? b : a;
}

/** One entry per path; a path is optional only if every entry naming it says so. */
function dedupe(entries: readonly Resolved[]): ProfilePath[] {
  const byPath = new Map<string, boolean>();
  for (const entry of entries)
    byPath.set(entry.path, (byPath.get(entry.path) ?? true) && entry.optional);
  return [...byPath].map(([p, optional]) => ({ path: p, optional }));
}

/** Only the outermost of nested paths (a mask over a parent already hides the child). */
function outermost(paths: readonly ProfilePath[]): ProfilePath[] {
  return paths.filter(
    (candidate) =>
      !paths.some((other) => other.path !== candidate.path && isWithin(candidate.path, other.path)),
  );
}

function absolute(value: string, profile: unknown): string {
  let file = value;
  if (value.startsWith("file:")) {
    try {
      file = fileURLToPath(value);
    } catch {
      throw unsupported(
        `the permission profile has a path that is not a file URL: ${value}`,
        profile,
      );
    }
  }
  if (!path.isAbsolute(file))
    throw unsupported(
      `the permission profile has a relative path: ${JSON.stringify(value)}`,
      profile,
    );
  return path.resolve(file);
}

function projectPath(cwd: string, subpath: string | undefined, profile: unknown): string {
  if (subpath === undefined || subpath === "") return path.resolve(cwd);
  const joined = path.resolve(cwd, subpath);
  if (path.isAbsolute(subpath) || !isWithin(joined, path.resolve(cwd)))
    throw unsupported(
      `the permission profile's project subpath ${JSON.stringify(subpath)} leaves the project`,
      profile,
    );
  return joined;
}

function unsupported(message: string, profile: unknown): ExecwardError {
  return new ExecwardError("sandbox_state_unsupported", message, { data: { profile } });
}
