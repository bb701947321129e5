// Codex's permission profile mapped onto the bwrap planner: the plan for each profile Codex
// 0.169 sends, the whole bwrap command line it becomes on a real directory tree, and every
// profile execward cannot honour exactly refused with its reason.
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  parsePermissionProfile,
  planPermissionProfile,
  type ProfileContext,
} from "../../../src/sandbox/permission-profile.js";
import { planBwrapArgv, type BwrapPlanPolicy } from "../../../src/sandbox/plan-bwrap.js";
import { probeProfileLayout } from "../../../src/sandbox/profile-layout.js";
import { errorCode } from "../../helpers/error-code.js";

const special = (kind: string, extra: object = {}) => ({
  type: "special",
  value: { kind, ...extra },
});
const at = (p: string) => ({ type: "path", path: p });
const managed = (entries: unknown[], network = "restricted") => ({
  type: "managed",
  file_system: { type: "restricted", entries },
  network,
});

/** What Codex 0.169 sends for `sandbox: "workspace-write"` in `ws`. */
function workspaceWrite(ws: string): unknown {
  return managed([
    { path: special("root"), access: "read" },
    { path: at(ws), access: "write" },
    { path: special("slash_tmp"), access: "write" },
    { path: special("tmpdir"), access: "write" },
    ...[".git", ".agents", ".codex", ".aws"].map((name) => ({
      path: at(path.join(ws, name)),
      access: "read",
      missing_path_behavior: "skip",
    })),
  ]);
}

/**
 * The argv without the marker every sandbox's /dev may get (`--ro-bind /dev/null
 * /dev/.execward-sandbox`): plan-bwrap's own business, tested there; these tests are about
 * what the profile adds.
 */
function withoutDevMarker(argv: readonly string[]): string[] {
  const at = argv.findIndex(
    (arg, i) =>
      arg === "--ro-bind" && argv[i + 1] === "/dev/null" && argv[i + 2]?.startsWith("/dev/"),
  );
  return at === -1 ? [...argv] : [...argv.slice(0, at), ...argv.slice(at + 3)];
}

function plan(profile: unknown, context: Partial<ProfileContext> = {}) {
  return planPermissionProfile(parsePermissionProfile(profile), {
    cwd: "/ws",
    tmpdir: undefined,
    commandCwd: "/ws",
    ...context,
  });
}

describe("planPermissionProfile", () => {
  it("workspace-write: read everything, write the workspace and temp dirs, carve-outs inside", () => {
    expect(plan(workspaceWrite("/ws"), { tmpdir: "/var/tmp/me" })).toEqual({
      kind: "sandboxed",
      policy: { type: "read-only", access: { type: "full-access" }, network_access: false },
      writable: [
        { path: "/ws", optional: false },
        { path: "/tmp", optional: true },
        { path: "/var/tmp/me", optional: true },
      ],
      readOnly: [".git", ".agents", ".codex", ".aws"].map((name) => ({
        path: `/ws/${name}`,
        optional: true,
      })),
      hidden: [],
    });
  });

  it("read-only, disabled, external, unrestricted with network", () => {
    expect(plan(managed([{ path: special("root"), access: "read" }]))).toEqual({
      kind: "sandboxed",
      policy: { type: "read-only", access: { type: "full-access" }, network_access: false },
      writable: [],
      readOnly: [],
      hidden: [],
    });
    expect(plan({ type: "disabled" })).toEqual({
      kind: "unsandboxed",
      policy: { type: "danger-full-access" },
    });
    expect(plan({ type: "external", network: "enabled" })).toEqual({
      kind: "unsandboxed",
      policy: { type: "external-sandbox", network_access: "enabled" },
    });
    expect(
      plan({ type: "managed", file_system: { type: "unrestricted" }, network: "enabled" }),
    ).toEqual({ kind: "unsandboxed", policy: { type: "danger-full-access" } });
  });

  it("network enabled is kept; restricted reads list the entries, minimal adds platform defaults", () => {
    expect(
      plan(
        managed(
          [
            { path: special("minimal"), access: "read" },
            { path: special("project_roots"), access: "write" },
            { path: special("current_working_directory", { subpath: "docs" }), access: "read" },
            { path: at("file:///opt/data"), access: "read" },
          ],
          "enabled",
        ),
      ),
    ).toEqual({
      kind: "sandboxed",
      policy: {
        type: "read-only",
        access: {
          type: "restricted",
          include_platform_defaults: true,
          readable_roots: ["/ws", "/ws/docs", "/opt/data"],
        },
        network_access: true,
      },
      writable: [{ path: "/ws", optional: false }],
      readOnly: [{ path: "/ws/docs", optional: false }],
      hidden: [],
    });
  });

  it("precedence: the most specific entry wins, then deny > write > read", () => {
    const result = plan(
      managed([
        { path: special("root"), access: "read" },
        { path: at("/ws"), access: "write" },
        { path: at("/ws"), access: "read" },
        { path: at("/ws/sub"), access: "read" },
        { path: at("/ws/sub/inner"), access: "read" },
        { path: special("unknown_future_kind"), access: "write" },
      ]),
    );
    expect(result).toMatchObject({
      writable: [{ path: "/ws", optional: false }],
      readOnly: [
        { path: "/ws/sub", optional: false },
        { path: "/ws/sub/inner", optional: false },
      ],
    });
  });

  it("deny entries are hidden (the outermost of nested ones), wherever they are", () => {
    expect(
      plan(
        managed([
          { path: special("root"), access: "read" },
          { path: at("/ws"), access: "write" },
          { path: at("/ws/secret"), access: "deny" },
          { path: at("/ws/secret/inner"), access: "none" },
          { path: at("/etc/token"), access: "deny", missing_path_behavior: "skip" },
        ]),
      ),
    ).toMatchObject({
      kind: "sandboxed",
      writable: [{ path: "/ws", optional: false }],
      hidden: [
        { path: "/ws/secret", optional: false },
        { path: "/etc/token", optional: true },
      ],
    });
  });

  it.each([
    [
      "a glob pattern",
      managed([
        { path: special("root"), access: "read" },
        { path: { type: "glob_pattern", pattern: "**/*.env" }, access: "deny" },
      ]),
      /glob pattern/,
    ],
    [
      "access granted again inside a denied path",
      managed([
        { path: special("root"), access: "read" },
        { path: at("/ws/secret"), access: "deny" },
        { path: at("/ws/secret/public"), access: "read" },
      ]),
      /grants \/ws\/secret\/public inside the denied \/ws\/secret/,
    ],
    [
      "a denied /proc path",
      managed([
        { path: special("root"), access: "read" },
        { path: at("/proc/1/environ"), access: "deny" },
      ]),
      /denies \/proc\/1\/environ/,
    ],
    [
      "the whole disk writable",
      managed([{ path: special("root"), access: "write" }]),
      /whole disk writable/,
    ],
    [
      "an unrestricted disk without network",
      { type: "managed", file_system: { type: "unrestricted" }, network: "restricted" },
      /whole disk writable without network/,
    ],
    [
      "a writable path inside a read-only carve-out",
      managed([
        { path: special("root"), access: "read" },
        { path: at("/ws"), access: "write" },
        { path: at("/ws/.git"), access: "read" },
        { path: at("/ws/.git/hooks"), access: "write" },
      ]),
      /makes \/ws\/.git\/hooks writable inside the read-only \/ws\/.git/,
    ],
    [
      "a working directory the command may not read",
      managed([{ path: at("/elsewhere"), access: "read" }]),
      /does not let the command read its working directory \/ws/,
    ],
    [
      "a project subpath leaving the project",
      managed([{ path: special("project_roots", { subpath: "../up" }), access: "write" }]),
      /leaves the project/,
    ],
    [
      "an unknown special path denied",
      managed([
        { path: special("root"), access: "read" },
        { path: special("future"), access: "deny" },
      ]),
      /unknown special path \(future\)/,
    ],
    [
      "the platform's minimal paths denied",
      managed([
        { path: special("root"), access: "read" },
        { path: special("minimal"), access: "deny" },
      ]),
      /denies the platform's minimal paths/,
    ],
    ["a relative path", managed([{ path: at("ws"), access: "read" }]), /relative path/],
    [
      "an unknown field",
      managed([{ path: special("root"), access: "read", inherit: true }]),
      /invalid permission profile/,
    ],
    [
      "an unknown missing-path behaviour",
      managed([{ path: special("root"), access: "read", missing_path_behavior: "create" }]),
      /invalid permission profile/,
    ],
    ["an unknown profile type", { type: "sandboxed" }, /invalid permission profile/],
  ])("refuses %s", (_name, profile, reason) => {
    expect(errorCode(() => plan(profile))).toBe("sandbox_state_unsupported");
    expect(() => plan(profile)).toThrow(reason);
  });
});

describe("a permission profile as bwrap argv (real directories)", () => {
  let base: string;
  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(os.tmpdir(), "execward-profile-")));
    await mkdir(path.join(base, "ws/.git/refs"), { recursive: true });
    await writeFile(path.join(base, "ws/.git/HEAD"), "ref: refs/heads/main\n");
    await mkdir(path.join(base, "ws/.codex"));
    await mkdir(path.join(base, "tmpdir"));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("Codex's workspace-write profile: the whole command line", async () => {
    const ws = path.join(base, "ws");
    const tmpdir = path.join(base, "tmpdir");
    const planned = plan(workspaceWrite(ws), { cwd: ws, commandCwd: ws, tmpdir });
    if (planned.kind !== "sandboxed") throw new Error("expected a sandbox");
    const layout = await probeProfileLayout(planned);
    expect(layout.hidden).toEqual([]);
    const argv = withoutDevMarker(
      planBwrapArgv({
        policy: planned.policy as BwrapPlanPolicy,
        writableRoots: layout.writableRoots,
        mountProc: true,
        disableUserns: true,
        chdir: ws,
        setenv: {},
        init: "/x/init",
        command: ["bash", "-c", "true"],
      }),
    );
    const tmp = await realpath("/tmp");
    expect(argv).toEqual([
      ...["--new-session", "--die-with-parent", "--unshare-user", "--cap-drop", "ALL"],
      ...["--disable-userns", "--ro-bind", "/", "/", "--dev", "/dev"],
      // Parents first (/tmp may hold the others).
      ...["--bind", tmp, tmp, "--bind", tmpdir, tmpdir, "--bind", ws, ws],
      // .git exists (kept), .codex is empty (covered), .agents and .aws are missing and `skip`.
      ...["--ro-bind", `${ws}/.git`, `${ws}/.git`],
      ...["--tmpfs", `${ws}/.codex`, "--remount-ro", `${ws}/.codex`],
      ...["--unshare-pid", "--unshare-net", "--proc", "/proc"],
      ...["--chdir", ws, "--", "/x/init", "--", "bash", "-c", "true"],
    ]);
  });

  it("denied paths are masked after every bind: a directory emptied, a file read as /dev/null", async () => {
    const ws = path.join(base, "ws");
    await mkdir(path.join(ws, "secrets"), { recursive: true });
    await writeFile(path.join(ws, "token"), "t0ken");
    const planned = plan(
      managed([
        { path: special("root"), access: "read" },
        { path: at(ws), access: "write" },
        { path: at(path.join(ws, "secrets")), access: "deny" },
        { path: at(path.join(ws, "token")), access: "deny" },
        { path: at(path.join(ws, "later")), access: "deny" },
        { path: at(path.join(base, "absent")), access: "deny" },
        { path: at(path.join(ws, "maybe")), access: "deny", missing_path_behavior: "skip" },
      ]),
      { cwd: ws, commandCwd: ws },
    );
    if (planned.kind !== "sandboxed") throw new Error("expected a sandbox");
    const layout = await probeProfileLayout(planned);
    expect(
      withoutDevMarker(
        planBwrapArgv({
          policy: planned.policy as BwrapPlanPolicy,
          writableRoots: layout.writableRoots,
          hidden: layout.hidden,
          mountProc: true,
          disableUserns: false,
          chdir: ws,
          setenv: {},
          init: "/x/init",
          command: ["true"],
        }),
      ),
    ).toEqual([
      ...["--new-session", "--die-with-parent", "--unshare-user", "--cap-drop", "ALL"],
      ...["--ro-bind", "/", "/", "--dev", "/dev", "--bind", ws, ws],
      // Missing, inside a writable root, no `skip`: covered so it cannot be created.
      ...["--tmpfs", `${ws}/later`, "--remount-ro", `${ws}/later`],
      ...["--tmpfs", `${ws}/secrets`, "--remount-ro", `${ws}/secrets`],
      ...["--ro-bind", "/dev/null", `${ws}/token`],
      ...["--unshare-pid", "--unshare-net", "--proc", "/proc"],
      ...["--chdir", ws, "--", "/x/init", "--", "true"],
    ]);
  });

  it("a carve-out without `skip` that does not exist is covered so it cannot be created", async () => {
    const ws = path.join(base, "ws");
    const planned = plan(
      managed([
        { path: special("root"), access: "read" },
        { path: at(ws), access: "write" },
        { path: at(path.join(ws, "locked/deeper")), access: "read" },
      ]),
      { cwd: ws, commandCwd: ws },
    );
    if (planned.kind !== "sandboxed") throw new Error("expected a sandbox");
    expect((await probeProfileLayout(planned)).writableRoots).toEqual([
      { path: ws, protectedSubpaths: [{ kind: "missing", firstMissing: path.join(ws, "locked") }] },
    ]);
  });

  it("a writable root without `skip` must exist", async () => {
    const missing = path.join(base, "nope");
    const planned = plan(
      managed([
        { path: special("root"), access: "read" },
        { path: at(missing), access: "write" },
      ]),
      { cwd: base, commandCwd: base },
    );
    if (planned.kind !== "sandboxed") throw new Error("expected a sandbox");
    await expect(probeProfileLayout(planned)).rejects.toMatchObject({
      code: "sandbox_writable_root_missing",
    });
  });
});
