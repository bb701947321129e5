/**
 * What a suite may skip, and where: on a developer's machine a suite that needs something the
 * host lacks (bwrap or user namespaces, python3, curl, git, zsh, the upstream binaries) is a
 * visible skip; in CI (`CI=true`, as .ci/run sets) it is an error, so a green CI means the
 * sandbox suites ran.
 */

/** True when running in CI. */
export const IN_CI = process.env.CI === "true";

/**
 * The skip condition for `describe.skipIf` / `it.skipIf`: `missing` is why this host cannot run
 * the suite (undefined: it can). Throws in CI, which fails the test file with that reason.
 */
export function requireInCi(missing: string | undefined): boolean {
  if (missing === undefined) return false;
  if (IN_CI) throw new Error(`CI must run this suite, but this host cannot: ${missing}`);
  return true;
}
