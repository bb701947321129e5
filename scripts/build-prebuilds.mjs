// Builds the native parts that ship inside the package, for every platform it carries
// (prebuilds/linux-x64/, prebuilds/linux-arm64/), and smoke-tests each one: run by `npm pack`
// (package.json's prepack), so an install needs no compiler and works with --ignore-scripts.
//
// Each target is built from a scratch copy of binding.gyp and native/ (the checkout's build/ is
// left alone): the addon with node-gyp (`--arch`), the executables with native/Makefile, both
// with the target's compiler (Debian's cross compiler `<triple>-gcc` for the other
// architecture: gcc-aarch64-linux-gnu + libc6-dev-arm64-cross on x64). The smoke test runs what
// it built: natively for the host's architecture, under qemu-user (`qemu-<cpu>-static`) for the
// other: the static executables print their usage, the hook preloads into a program, the addon
// loads (with node natively; with dlopen under qemu, where there is no node to load it).
//
//   node scripts/build-prebuilds.mjs              every platform
//   EXECWARD_PREBUILD_TARGETS=linux-x64 node ...  only these (a local check, never for a release)
// The host's own platform must build. Another platform whose cross compiler or qemu-user is
// missing fails the build in CI (CI=true) or with EXECWARD_PREBUILD_STRICT=1; elsewhere it is
// left out of the package with a warning (an install there then builds from source).
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TARGETS = {
  "linux-x64": {
    arch: "x64",
    triple: "x86_64-linux-gnu",
    qemu: "qemu-x86_64-static",
    machine: 0x3e,
  },
  "linux-arm64": {
    arch: "arm64",
    triple: "aarch64-linux-gnu",
    qemu: "qemu-aarch64-static",
    machine: 0xb7,
  },
};
const CROSS_PACKAGES = {
  "linux-x64": "gcc-x86-64-linux-gnu libc6-dev-amd64-cross qemu-user-static",
  "linux-arm64": "gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static",
};
const ADDON = "fd_passing.node";
const STRICT = process.env.CI === "true" || process.env.EXECWARD_PREBUILD_STRICT === "1";

function fail(message) {
  console.error(`build-prebuilds: ${message}`);
  process.exit(1);
}

function have(command) {
  return (
    spawnSync("sh", ["-c", 'command -v "$1"', "sh", command], { stdio: "ignore" }).status === 0
  );
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
    ),
  ];
  const found = candidates.find((file) => file !== undefined && existsSync(file));
  if (found === undefined) fail("node-gyp not found (it comes with npm; set npm_config_node_gyp)");
  return found;
}

/** Node's headers: npm's configured nodedir, else the ones installed next to this node. */
function nodeDirArgs() {
  const configured = process.env.npm_config_nodedir;
  if (configured !== undefined && configured !== "") return [`--nodedir=${configured}`];
  const prefix = path.join(path.dirname(process.execPath), "..");
  return existsSync(path.join(prefix, "include/node/node_api.h")) ? [`--nodedir=${prefix}`] : [];
}

function run(command, args, options) {
  execFileSync(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
}

function build(name, target) {
  const native = target.arch === process.arch;
  const cc = native ? (process.env.CC ?? "cc") : `${target.triple}-gcc`;
  const missing = [cc, ...(native ? [] : [target.qemu])].filter((tool) => !have(tool));
  if (missing.length > 0) {
    const why = `cannot build and smoke-test ${name}: ${missing.join(" and ")} missing (on Debian: apt-get install ${CROSS_PACKAGES[name]})`;
    if (native || STRICT) fail(why);
    rmSync(path.join(ROOT, "prebuilds", name), { recursive: true, force: true });
    console.error(`build-prebuilds: WARNING: ${why}; the package will carry no ${name} parts`);
    return;
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), `execward-prebuild-${name}-`));
  try {
    run("cp", ["-R", path.join(ROOT, "binding.gyp"), path.join(ROOT, "native"), scratch]);
    const env = { ...process.env, CC: cc, CXX: cc, LINK: cc };
    run(
      process.execPath,
      [nodeGyp(), "rebuild", `--arch=${target.arch}`, "--loglevel=warn", ...nodeDirArgs()],
      {
        cwd: scratch,
        env,
      },
    );
    const out = path.join(scratch, "out");
    run("make", ["-s", "-C", path.join(scratch, "native"), `OUT=${out}`, `CC=${cc}`], { env });
    const dest = path.join(ROOT, "prebuilds", name);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    copyFileSync(path.join(scratch, "build/Release", ADDON), path.join(dest, ADDON));
    for (const file of readdirSync(out)) copyFileSync(path.join(out, file), path.join(dest, file));
    const strip = native ? "strip" : `${target.triple}-strip`;
    if (have(strip)) {
      for (const file of readdirSync(dest)) run(strip, ["--strip-unneeded", path.join(dest, file)]);
    }
    smokeTest(name, target, dest, scratch, cc);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The ELF machine of a file (e_machine, little-endian at offset 18). */
function machine(file) {
  return readFileSync(file).readUInt16LE(18);
}

function smokeTest(name, target, dest, scratch, cc) {
  const native = target.arch === process.arch;
  const sysroot = `/usr/${target.triple}`;
  const runOn = (args, extraEnv = {}) =>
    native
      ? spawnSync(args[0], args.slice(1), {
          encoding: "utf8",
          env: { ...process.env, ...extraEnv },
        })
      : spawnSync(
          target.qemu,
          [
            "-L",
            sysroot,
            ...Object.entries(extraEnv).flatMap(([k, v]) => ["-E", `${k}=${v}`]),
            ...args,
          ],
          { encoding: "utf8" },
        );
  for (const file of readdirSync(dest)) {
    if (machine(path.join(dest, file)) !== target.machine)
      fail(`${name}/${file} is not built for ${target.arch}`);
  }
  for (const [exe, usage] of [
    ["execward-execve-wrapper", /usage: execward-execve-wrapper/],
    ["execward-sandbox-init", /usage: execward-sandbox-init/],
    ["execward-exec-supervisor", /usage: execward-exec-supervisor/],
  ]) {
    const result = runOn([path.join(dest, exe)]);
    if (!usage.test(result.stderr ?? "")) {
      fail(`${name}/${exe} did not run: status ${result.status}, ${result.error ?? result.stderr}`);
    }
  }
  // A program of the target's own, compiled here, to load the hook and the addon into.
  const probe = path.join(scratch, "probe");
  writeFileSync(
    `${probe}.c`,
    `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  if (argc < 2) return 0;
  void *addon = dlopen(argv[1], RTLD_LAZY);
  if (addon == NULL) { fprintf(stderr, "%s\\n", dlerror()); return 2; }
  return dlsym(addon, "napi_register_module_v1") == NULL ? 3 : 0;
}
`,
  );
  run(cc, ["-o", probe, `${probe}.c`, "-ldl"]);
  const hooked = runOn([probe], { LD_PRELOAD: path.join(dest, "execward-hook.so") });
  if (hooked.status !== 0 || /cannot be preloaded|ERROR: ld\.so/.test(hooked.stderr ?? "")) {
    fail(`${name}/execward-hook.so does not preload: status ${hooked.status}, ${hooked.stderr}`);
  }
  const loaded = runOn([probe, path.join(dest, ADDON)]);
  if (loaded.status !== 0)
    fail(`${name}/${ADDON} does not load: status ${loaded.status}, ${loaded.stderr}`);
  if (native) {
    const addon = createRequire(import.meta.url)(path.join(dest, ADDON));
    if (typeof addon.spawnEscalated !== "function") fail(`${name}/${ADDON} lacks spawnEscalated`);
  }
  console.error(
    `build-prebuilds: ${name} built and smoke-tested${native ? "" : ` under ${target.qemu}`}`,
  );
}

if (process.platform !== "linux") fail("prebuilt parts are built on Linux");
const wanted = (process.env.EXECWARD_PREBUILD_TARGETS ?? Object.keys(TARGETS).join(","))
  .split(",")
  .filter((name) => name !== "");
for (const name of wanted) {
  const target = TARGETS[name];
  if (target === undefined)
    fail(`unknown target ${name} (known: ${Object.keys(TARGETS).join(", ")})`);
  build(name, target);
}
