/**
 * Where this install keeps its native parts for the running platform: built from source
 * (`build/`, by `npm rebuild execward` or a checkout's `npm ci`), or prebuilt inside the package
 * (`prebuilds/<platform>-<arch>/`, made when the package is packed). A set is used only whole:
 * the addon and every executable from one place, never a mix of builds. Nothing found is a
 * clear error naming the fix, never a silent fallback: without them nothing can be intercepted.
 *
 * Kept apart from the loading itself (native-addon.ts): the file layout is pure and unit-tested.
 */
import { existsSync } from "node:fs";
import path from "node:path";

import { ExecwardError } from "../errors.js";

/** The native executables (native/Makefile), by role. */
export const NATIVE_EXECUTABLES = {
  /** The LD_PRELOAD exec hook. */
  hook: "execward-hook.so",
  /** execward-execve-wrapper. */
  wrapper: "execward-execve-wrapper",
  /** execward-sandbox-init: the first program inside bwrap (seccomp filter, then exec). */
  sandboxInit: "execward-sandbox-init",
  /** execward-exec-supervisor: the kernel exec backstop, outside the sandbox. */
  supervisor: "execward-exec-supervisor",
} as const;

/** The fd-passing addon's file name (binding.gyp's target). */
export const ADDON_FILE = "fd_passing.node";

/** Platforms a package carries prebuilt parts for (scripts/build-prebuilds.mjs). */
export const PREBUILT_PLATFORMS: readonly string[] = ["linux-x64", "linux-arm64"];

export type NativeRole = keyof typeof NATIVE_EXECUTABLES;

export interface NativeLayout {
  readonly origin: "built from source" | "prebuilt";
  readonly addon: string;
  readonly executables: Readonly<Record<NativeRole, string>>;
}

/** The places a set of native parts can be, in the order they are preferred. Pure. */
export function nativeCandidates(root: string, platform: string, arch: string): NativeLayout[] {
  const set = (origin: NativeLayout["origin"], addonDir: string, dir: string): NativeLayout => ({
    origin,
    addon: path.join(root, addonDir, ADDON_FILE),
    executables: Object.fromEntries(
      Object.entries(NATIVE_EXECUTABLES).map(([role, file]) => [role, path.join(root, dir, file)]),
    ) as Record<NativeRole, string>,
  });
  const prebuilt = `prebuilds/${platform}-${arch}`;
  return [
    // A build from source wins: it is what `npm rebuild execward` makes when a prebuilt part
    // does not run on this system.
    set("built from source", "build/Release", "build/native"),
    set("prebuilt", prebuilt, prebuilt),
  ];
}

export function layoutFiles(layout: NativeLayout): string[] {
  return [layout.addon, ...Object.values(layout.executables)];
}

export function locateNative(
  root: string,
  platform: string = process.platform,
  arch: string = process.arch,
  exists: (file: string) => boolean = existsSync,
): NativeLayout {
  const candidates = nativeCandidates(root, platform, arch);
  const found = candidates.find((layout) => layoutFiles(layout).every((file) => exists(file)));
  if (found !== undefined) return found;
  const target = `${platform}-${arch}`;
  const missing = candidates
    .map((layout) => {
      const absent = layoutFiles(layout).filter((file) => !exists(file));
      return `${layout.origin}: no ${absent.join(", ")}`;
    })
    .join("; ");
  const fix =
    platform === "linux"
      ? "run `npm rebuild execward` to build them from source (needs make, a C compiler with " +
        "the static C library, and python3 for node-gyp), or `npm ci` in a checkout"
      : "execward runs on Linux only";
  const prebuilt = PREBUILT_PLATFORMS.includes(target)
    ? ""
    : ` (this package carries prebuilt parts for ${PREBUILT_PLATFORMS.join(" and ")} only)`;
  throw new ExecwardError(
    "native_unavailable",
    `execward's native parts for ${target} are missing${prebuilt} (${missing}); ${fix}`,
  );
}
