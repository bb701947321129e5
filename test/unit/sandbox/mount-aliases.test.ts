// Other mount points of the same directory, from mountinfo text.
import { describe, expect, it } from "vitest";

import { aliasCandidates, parseMountinfo } from "../../../src/sandbox/mount-aliases.js";

const MOUNTINFO = [
  "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
  "40 22 0:30 / /tmp rw - tmpfs tmpfs rw",
  "41 22 254:0 /home/u /mnt/home\\040alias rw - ext4 /dev/vda rw",
  "42 22 254:0 /home /srv/homes rw - ext4 /dev/vda rw",
  "43 22 254:0 /var/other /mnt/other rw - ext4 /dev/vda rw",
  "44 40 0:30 /x /tmp/y rw - tmpfs tmpfs rw",
  "",
].join("\n");

describe("aliasCandidates", () => {
  const mounts = parseMountinfo(MOUNTINFO);

  it("parses and unescapes mount points", () => {
    expect(mounts[2]).toEqual({ device: "254:0", root: "/home/u", mountpoint: "/mnt/home alias" });
  });

  it("finds every other mount of a directory containing the file", () => {
    expect(aliasCandidates("/home/u/.ssh", mounts)).toEqual([
      "/mnt/home alias/.ssh",
      "/srv/homes/u/.ssh",
    ]);
    // From an alias back to the real path and the other alias.
    expect(aliasCandidates("/mnt/home alias/.ssh", mounts)).toEqual([
      "/home/u/.ssh",
      "/srv/homes/u/.ssh",
    ]);
  });

  it("on another device only that device's mounts", () => {
    expect(aliasCandidates("/tmp/x/key", mounts)).toEqual(["/tmp/y/key"]);
    expect(aliasCandidates("/etc/passwd", mounts)).toEqual([]);
  });
});
