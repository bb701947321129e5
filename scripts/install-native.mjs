// npm's install step for execward. An installed package carries prebuilt native parts for
// linux-x64 and linux-arm64 (scripts/build-prebuilds.mjs, run when it is packed): with a whole set
// for this platform there is nothing to do, which is also why `npm i --ignore-scripts` works.
// Otherwise the parts are built from source (node-gyp and native/Makefile): on another
// platform, in a checkout (`npm ci`: the sources there are what is being worked on), and always
// on `npm rebuild execward`, the fallback when a prebuilt part does not run on this system.
// Written in plain JavaScript without imports of the package's own code: it runs before dist/
// exists in a checkout. The file names match src/native/native-location.ts (unit-tested).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PREBUILT_FILES = [
  "fd_passing.node",
  "execward-hook.so",
  "execward-execve-wrapper",
  "execward-sandbox-init",
  "execward-exec-supervisor",
];

function reasonToBuild() {
  if (process.env.npm_command === "rebuild") return "npm rebuild";
  if (existsSync(path.join(ROOT, ".git"))) return "a checkout";
  const dir = path.join(ROOT, "prebuilds", `${process.platform}-${process.arch}`);
  const missing = PREBUILT_FILES.filter((file) => !existsSync(path.join(dir, file)));
  if (missing.length > 0)
    return `no prebuilt ${missing.join(", ")} for ${process.platform}-${process.arch}`;
  return undefined;
}

const reason = reasonToBuild();
if (reason !== undefined) {
  if (!existsSync(path.join(ROOT, ".git")))
    console.error(`execward: building the native parts from source (${reason})`);
  execSync("npm run --silent build:native", { cwd: ROOT, stdio: "inherit" });
}
