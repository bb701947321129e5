// The exec hook is loaded into every program the command starts: it must export the libc
// functions it stands in for and nothing else, or a program's own symbol of the same name (an
// `ew_streq` of its own) would interpose the hook's internals. Read from the built library.
import { execFileSync } from "node:child_process";

import { describe, expect, it } from "vitest";

import { nativePaths } from "../../../src/native/native-addon.js";

const INTERPOSED = [
  "close",
  "close_range",
  "closefrom",
  "dup2",
  "dup3",
  "execl",
  "execle",
  "execlp",
  "execv",
  "execve",
  "execveat",
  "execvp",
  "execvpe",
  "fexecve",
  "popen",
  "posix_spawn",
  "posix_spawnp",
  "system",
];

describe("the exec hook's exported symbols", () => {
  it("are exactly the libc functions it interposes", () => {
    const out = execFileSync("nm", ["-D", "--defined-only", nativePaths().hook], {
      encoding: "utf8",
    });
    const exported = out
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length === 3 && /^[TW]$/.test(fields[1] ?? ""))
      .map((fields) => fields[2] as string)
      .sort();
    expect(exported).toEqual([...INTERPOSED].sort());
  });
});
