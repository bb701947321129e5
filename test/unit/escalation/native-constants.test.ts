// The C side repeats the protocol's constants (native/common/escalate_protocol.h); they must agree
// with src/escalation/protocol.ts, the single source of truth.
import { readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import * as protocol from "../../../src/escalation/protocol.js";
import { REPO_ROOT } from "../../helpers/paths.js";

const header = readFileSync(path.join(REPO_ROOT, "native/common/escalate_protocol.h"), "utf8");

function define(name: string): string {
  const match = new RegExp(`#define ${name} (.+)`).exec(header);
  if (match === null) throw new Error(`${name} is not defined in escalate_protocol.h`);
  return (match[1] as string).trim();
}

describe("native protocol constants", () => {
  it.each([
    ["EW_ESCALATE_SOCKET_ENV", protocol.ESCALATE_SOCKET_ENV],
    ["EW_EXEC_WRAPPER_ENV", protocol.EXEC_WRAPPER_ENV],
    ["EW_LEGACY_BASH_EXEC_WRAPPER_ENV", protocol.LEGACY_BASH_EXEC_WRAPPER_ENV],
    ["EW_HOOK_LIBRARY_ENV", protocol.HOOK_LIBRARY_ENV],
    ["EW_HOOK_WRAPPER_ENV", protocol.HOOK_WRAPPER_ENV],
    ["EW_HOOK_ASK_ENV", protocol.HOOK_ASK_ENV],
    ["EW_HOOK_NOTICES_ENV", protocol.HOOK_NOTICES_ENV],
    ["EW_DENIED_MESSAGE_PREFIX", protocol.DENIED_MESSAGE_PREFIX],
    ["EW_SANDBOX_MARKER", protocol.SANDBOX_MARKER_PATH],
  ])("%s", (name, value) => {
    expect(define(name)).toBe(JSON.stringify(value));
  });

  it("numbers", () => {
    const product = define("EW_MAX_FRAME_BYTES")
      .replace(/[()]/g, "")
      .split("*")
      .reduce((total, factor) => total * Number(factor.trim()), 1);
    expect(product).toBe(protocol.MAX_FRAME_BYTES);
    expect(Number(define("EW_MAX_FDS_PER_MESSAGE"))).toBe(protocol.MAX_FDS_PER_MESSAGE);
    expect(Number(define("EW_DENIED_EXIT_STATUS"))).toBe(protocol.DENIED_EXIT_STATUS);
  });
});

describe("the fast-path notice's constants (native/common/escalate_notice.h)", () => {
  const notice = readFileSync(path.join(REPO_ROOT, "native/common/escalate_notice.h"), "utf8");
  const value = (name: string): number => {
    const match = new RegExp(`#define ${name} (.+)`).exec(notice);
    if (match === null) throw new Error(`${name} is not defined in escalate_notice.h`);
    return Number((match[1] as string).trim());
  };
  it("agree with protocol.ts", () => {
    expect(value("EW_NOTICE_BYTE")).toBe(protocol.NOTICE_BYTE);
    expect(value("EW_MAX_NOTICE_BYTES")).toBe(protocol.MAX_NOTICE_BYTES);
    expect(protocol.NOTICE_BYTE).not.toBe(protocol.HANDSHAKE_BYTE);
  });
});
