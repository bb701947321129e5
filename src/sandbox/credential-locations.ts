/**
 * Where credentials live, hidden inside every sandbox by default (ARCHITECTURE.md invariant:
 * ssh keys, cloud and registry tokens, `$CODEX_HOME/auth.json`). Pure: the environment in, the
 * locations out; the disk is looked at by the layout (hidden-layout.ts).
 *
 * A location is a directory (hidden whole: an empty read-only tmpfs over it), a file (hidden
 * behind /dev/null), or a name prefix in a directory (`~/.cargo/credentials*`: every existing
 * match is hidden, and the name the tool writes, `placeholder`, is held while missing so it
 * cannot appear during the call). docs/sandbox.md lists them; keep the two in step.
 */
import path from "node:path";

export type HideTarget =
  | {
      readonly kind: "exact";
      readonly path: string;
      /** What the location is when it exists; "unknown" for user-listed paths (`deny_read`). */
      readonly type: "file" | "directory" | "unknown";
      /**
       * Placeholders are made only strictly inside this directory (HOME for the credential
       * locations, the parent for a listed path): a HOME that does not exist gets none, and
       * undefined means none at all (a HOME of `/` is no home directory to litter).
       */
      readonly anchor: string | undefined;
    }
  | {
      readonly kind: "prefix";
      readonly directory: string;
      readonly prefix: string;
      /** The name the tool creates (held while missing, so it cannot appear during the call). */
      readonly placeholder: string;
      readonly anchor: string | undefined;
    };

/** Relative to HOME unless said otherwise. */
const HOME_DIRECTORIES = [".ssh", ".aws", ".gnupg", ".config/gh", ".config/gcloud", ".azure"];
const HOME_FILES = [
  ".netrc",
  ".git-credentials",
  ".docker/config.json",
  ".kube/config",
  ".npmrc",
  ".pypirc",
];
const HOME_PREFIXES: readonly { directory: string; prefix: string; placeholder: string }[] = [
  { directory: ".cargo", prefix: "credentials", placeholder: "credentials.toml" },
  { directory: ".terraform.d", prefix: "credentials", placeholder: "credentials.tfrc.json" },
];

export interface CredentialEnv {
  /** The user's home directory (absolute). */
  readonly home: string;
  /** `$CODEX_HOME` (default `~/.codex`). */
  readonly codexHome: string;
  /** `$XDG_CONFIG_HOME`, when set: gh and gcloud keep their credentials there instead. */
  readonly xdgConfigHome?: string | undefined;
}

export function credentialLocations(env: CredentialEnv): HideTarget[] {
  const home = path.resolve(env.home);
  const targets: HideTarget[] = [];
  const homeAnchor = home === "/" ? undefined : home;
  const exact = (file: string, type: "file" | "directory", anchor: string | undefined): void => {
    const resolved = path.resolve(file);
    if (!targets.some((t) => t.kind === "exact" && t.path === resolved))
      targets.push({ kind: "exact", path: resolved, type, anchor });
  };
  for (const dir of HOME_DIRECTORIES) exact(path.join(home, dir), "directory", homeAnchor);
  const xdg = env.xdgConfigHome;
  if (xdg !== undefined && path.isAbsolute(xdg))
    for (const dir of ["gh", "gcloud"]) exact(path.join(xdg, dir), "directory", path.resolve(xdg));
  for (const file of HOME_FILES) exact(path.join(home, file), "file", homeAnchor);
  // Never a placeholder for auth.json: Codex itself reads it while execward runs its commands,
  // and an empty auth.json would be a broken login to it. Nothing inside can create it anyway
  // ($CODEX_HOME is read-only in every sandbox); only a login on the host during a call could.
  exact(path.join(path.resolve(env.codexHome), "auth.json"), "file", undefined);
  for (const entry of HOME_PREFIXES)
    targets.push({
      kind: "prefix",
      directory: path.join(home, entry.directory),
      prefix: entry.prefix,
      placeholder: entry.placeholder,
      anchor: homeAnchor,
    });
  return targets;
}

/** A path the user listed (`deny_read`): hidden, and held only by its own name when missing. */
export function listedPath(file: string): HideTarget {
  const resolved = path.resolve(file);
  return { kind: "exact", path: resolved, type: "unknown", anchor: path.dirname(resolved) };
}
