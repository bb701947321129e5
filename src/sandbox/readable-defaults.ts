/**
 * What a restricted-read sandbox on Linux shows by default ("platform defaults"), and what it
 * hides even there. Upstream refuses restricted reads on Linux; execward implements them, so it
 * owns this list: enough for a shell and ordinary tools to start (programs, libraries, /etc
 * configuration), nothing of anybody's home, and none of the host's secrets that a sandbox
 * running as root would otherwise be able to read (the owner of /etc/shadow is root).
 */

/** Directories (or the symlinks standing for them) that restricted reads include by default. */
export const LINUX_PLATFORM_READABLE_ROOTS: readonly string[] = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
  "/nix/store",
  "/run/current-system/sw",
];

/** Files hidden behind /dev/null whenever reads are restricted (when they exist). */
export const MASKED_FILES: readonly string[] = [
  "/etc/shadow",
  "/etc/shadow-",
  "/etc/gshadow",
  "/etc/gshadow-",
  "/etc/security/opasswd",
];

/** Directories hidden behind an empty tmpfs whenever reads are restricted (when they exist). */
export const MASKED_DIRECTORIES: readonly string[] = ["/etc/ssl/private"];

/** In these directories, every file whose name matches is masked (host keys). */
export const MASKED_FILE_PATTERNS: readonly {
  readonly directory: string;
  readonly name: RegExp;
}[] = [{ directory: "/etc/ssh", name: /^ssh_host_.*_key$/ }];
