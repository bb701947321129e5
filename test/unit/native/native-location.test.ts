// Finding the native parts for the running platform: a build from source first, then the
// package's prebuilt set for <platform>-<arch>, only ever a whole set, else an error naming the fix.
import { describe, expect, it } from "vitest";

import { readFileSync } from "node:fs";

import {
  ADDON_FILE,
  NATIVE_EXECUTABLES,
  layoutFiles,
  locateNative,
  nativeCandidates,
} from "../../../src/native/native-location.js";

const ROOT = "/pkg";
const [built, prebuiltX64] = nativeCandidates(ROOT, "linux", "x64");
const prebuiltArm64 = nativeCandidates(ROOT, "linux", "arm64")[1];

function only(...files: string[]): (file: string) => boolean {
  const set = new Set(files);
  return (file) => set.has(file);
}

describe("locateNative", () => {
  it("uses the package's prebuilt set for the running platform and architecture", () => {
    const files = [...layoutFiles(prebuiltX64!), ...layoutFiles(prebuiltArm64!)];
    const x64 = locateNative(ROOT, "linux", "x64", only(...files));
    expect(x64.origin).toBe("prebuilt");
    expect(x64.addon).toBe("/pkg/prebuilds/linux-x64/fd_passing.node");
    expect(x64.executables.hook).toBe("/pkg/prebuilds/linux-x64/execward-hook.so");
    const arm64 = locateNative(ROOT, "linux", "arm64", only(...files));
    expect(arm64.executables.sandboxInit).toBe("/pkg/prebuilds/linux-arm64/execward-sandbox-init");
  });

  it("prefers a build from source (what `npm rebuild execward` makes)", () => {
    const layout = locateNative(
      ROOT,
      "linux",
      "x64",
      only(...layoutFiles(built!), ...layoutFiles(prebuiltX64!)),
    );
    expect(layout.origin).toBe("built from source");
    expect(layout.addon).toBe("/pkg/build/Release/fd_passing.node");
    expect(layout.executables.wrapper).toBe("/pkg/build/native/execward-execve-wrapper");
  });

  it("never mixes sets: a partial build is passed over for a whole prebuilt set", () => {
    const layout = locateNative(
      ROOT,
      "linux",
      "x64",
      only(built!.addon, ...layoutFiles(prebuiltX64!)),
    );
    expect(layout.origin).toBe("prebuilt");
    expect(layoutFiles(layout).every((file) => file.startsWith("/pkg/prebuilds/linux-x64/"))).toBe(
      true,
    );
  });

  it("names the fix when nothing fits this platform", () => {
    const call = () => locateNative(ROOT, "linux", "riscv64", only(...layoutFiles(prebuiltX64!)));
    expect(call).toThrow(/native parts for linux-riscv64 are missing/);
    expect(call).toThrow(/linux-x64 and linux-arm64 only/);
    expect(call).toThrow(/npm rebuild execward/);
    expect(call).toThrow(/prebuilds\/linux-riscv64\/execward-hook\.so/);
    expect(() => locateNative(ROOT, "darwin", "arm64", only())).toThrow(/Linux only/);
  });

  it("names the missing part of an incomplete prebuilt set", () => {
    const files = layoutFiles(prebuiltX64!).filter((file) => !file.endsWith("sandbox-init"));
    expect(() => locateNative(ROOT, "linux", "x64", only(...files))).toThrow(
      /prebuilt: no \/pkg\/prebuilds\/linux-x64\/execward-sandbox-init\); run `npm rebuild execward`/,
    );
  });
});

describe("the install script", () => {
  it("checks for the same prebuilt files as the run-time lookup", () => {
    // scripts/install-native.mjs runs before dist/ exists, so it repeats the names
    const script = readFileSync(
      new URL("../../../scripts/install-native.mjs", import.meta.url),
      "utf8",
    );
    const listed = /PREBUILT_FILES = \[([^\]]*)\]/.exec(script)?.[1] ?? "";
    expect([...listed.matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort()).toEqual(
      [ADDON_FILE, ...Object.values(NATIVE_EXECUTABLES)].sort(),
    );
  });
});
