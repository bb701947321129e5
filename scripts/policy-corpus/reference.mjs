/**
 * Running the reference `codex execpolicy check` on each case (cwd `/`, HOME a temporary
 * directory named like the fixed home) and turning what it printed into `expected`: stdout
 * exactly, or the failing file, kind, message and location parsed from its stderr.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { FIXED_HOME } from "./paths.mjs";

export function runReference(codex, entry, workDir, home) {
  const dir = path.join(workDir, entry.id);
  mkdirSync(dir, { recursive: true });
  const filePaths = entry.files.map((file) => {
    const filePath = path.join(dir, file.name);
    if (file.directory) mkdirSync(filePath);
    else if (file.base64 !== undefined) writeFileSync(filePath, Buffer.from(file.base64, "base64"));
    // Rules may name paths under the fixed home; the reference's home is a temporary directory.
    else if (!file.missing) writeFileSync(filePath, file.text.split(FIXED_HOME).join(home));
    return filePath;
  });
  const args = ["execpolicy", "check"];
  for (const filePath of filePaths) args.push("--rules", filePath);
  if (entry.resolveHostExecutables) args.push("--resolve-host-executables");
  if (entry.pretty) args.push("--pretty");
  args.push("--", ...entry.command.map((token) => token.split(FIXED_HOME).join(home)));
  return new Promise((resolve, reject) => {
    execFile(
      codex,
      args,
      {
        cwd: "/",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
        maxBuffer: 16 << 20,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : error.code;
        if (typeof code !== "number") {
          reject(error);
          return;
        }
        resolve({ code, stdout, stderr, filePaths });
      },
    );
  });
}

export function replaceHome(text, home) {
  return text.split(home).join(FIXED_HOME);
}

/** What the reference's failure says: which file, which kind, the message and the location. */
export function describeFailure(stderr, filePaths, names) {
  const lines = stderr.split("\n").filter((line) => !line.startsWith("WARNING: "));
  const text = lines.join("\n");
  const head = /^Error: failed to (parse|read) policy at (.*)$/m.exec(text);
  if (head === null) throw new Error(`unrecognised reference failure:\n${stderr}`);
  const index = filePaths.indexOf(head[2]);
  const failingFile = index >= 0 ? index : null;
  const causeAt = text.indexOf("\nCaused by:\n");
  let body = causeAt >= 0 ? text.slice(causeAt + "\nCaused by:\n".length) : "";
  const backtrace = body.indexOf("\n\nStack backtrace:");
  if (backtrace >= 0) body = body.slice(0, backtrace);
  const bodyLines = body
    .split("\n")
    .map((line) => (line.startsWith("    ") ? line.slice(4) : line.trim() === "" ? "" : line));
  while (bodyLines.length > 0 && bodyLines[bodyLines.length - 1] === "") bodyLines.pop();

  if (head[1] === "read") {
    const name = failingFile === null ? head[2] : names[failingFile];
    return {
      ok: false,
      failingFile,
      kind: "read",
      message: `failed to read policy at ${name}: ${bodyLines.join("\n")}`,
    };
  }
  const first = bodyLines[0] ?? "";
  if (!first.startsWith("starlark error: ")) {
    return { ok: false, failingFile, kind: "validation", message: bodyLines.join("\n") };
  }
  const arrowAt = bodyLines.findIndex((line) => /^\s*--> /.test(line));
  const location = arrowAt >= 0 ? /--> (.*):(\d+):(\d+)$/.exec(bodyLines[arrowAt]) : null;
  // A location past the end of the file is printed without a source line (and at a bogus 1:1).
  const snippet =
    arrowAt >= 0 && bodyLines.slice(arrowAt + 1).some((line) => /^\s*\d+ \|/.test(line));
  const located =
    location !== null && snippet ? { line: Number(location[2]), column: Number(location[3]) } : {};
  const end = arrowAt >= 0 ? arrowAt : bodyLines.length;
  if (first.startsWith("starlark error: Traceback")) {
    const errorAt = bodyLines.findIndex((line) => line.startsWith("error: "));
    const message = bodyLines.slice(errorAt, end).join("\n").slice("error: ".length);
    return { ok: false, failingFile, kind: "eval", message, ...located };
  }
  const message = [first.slice("starlark error: error: ".length), ...bodyLines.slice(1, end)].join(
    "\n",
  );
  const kind = message.startsWith("Variable `") ? "name" : "parse";
  return { ok: false, failingFile, kind, message, ...located };
}

export async function runAll(options, cases) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "execward-corpus-"));
  const home = path.join(workDir, "home", "execward-corpus");
  mkdirSync(home, { recursive: true });
  const version = await new Promise((resolve) =>
    execFile(
      options.codex,
      ["--version"],
      { env: { HOME: home, PATH: process.env.PATH } },
      (_e, out) => resolve(String(out).trim()),
    ),
  );
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const entry = cases[next++];
      const run = await runReference(options.codex, entry, workDir, home);
      if (run.code === 0) {
        entry.expected = { ok: true, stdout: replaceHome(run.stdout, home) };
      } else if (run.code === 1) {
        entry.expected = describeFailure(
          replaceHome(run.stderr, home),
          run.filePaths.map((p) => replaceHome(p, home)),
          entry.files.map((f) => f.name),
        );
      } else {
        throw new Error(`${entry.id}: reference exited ${run.code}\n${run.stderr}`);
      }
      if (++done % 200 === 0) process.stderr.write(`  ${done}/${cases.length}\n`);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.jobs }, worker));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return version;
}
