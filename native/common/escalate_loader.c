/*
 * ld.so run directly: which program it runs (see escalate_loader.h). The options are glibc's
 * (rtld.c): a few take one argument, the rest none; the first word that is not an option is the
 * program. glibc refuses options it does not know, so an unknown `--option` here means a loader
 * execward cannot read: the caller fails closed instead of guessing.
 */
#include "escalate_loader.h"

#include <string.h>

static const char *base_of(const char *path) {
  const char *base = path;
  for (const char *p = path; *p != '\0'; p++) {
    if (*p == '/' && p[1] != '\0') base = p + 1;
  }
  return base;
}

int ew_is_loader_name(const char *base) {
  if (base == NULL) return 0;
  if (strncmp(base, "ld-", 3) != 0 && strncmp(base, "ld.so", 5) != 0 && strncmp(base, "ld64.so", 7) != 0) return 0;
  return strstr(base, ".so") != NULL;
}

static int is_one_of(const char *word, const char *const *list) {
  for (size_t i = 0; list[i] != NULL; i++) {
    if (strcmp(word, list[i]) == 0) return 1;
  }
  return 0;
}

int ew_loader_program(const char *path, const char *resolved, char *const argv[]) {
  static const char *const flags[] = {"--list", "--verify", "--inhibit-cache", "--list-tunables",
                                      "--list-diagnostics", "--help", "--version", NULL};
  static const char *const with_value[] = {"--library-path", "--inhibit-rpath", "--audit", "--preload", "--argv0",
                                           "--glibc-hwcaps-prepend", "--glibc-hwcaps-mask", NULL};
  if (!ew_is_loader_name(base_of(path)) && !(resolved != NULL && ew_is_loader_name(base_of(resolved))))
    return EW_LOADER_NONE;
  if (argv == NULL || argv[0] == NULL) return EW_LOADER_NONE;
  for (int i = 1; argv[i] != NULL; i++) {
    if (is_one_of(argv[i], flags)) continue;
    if (is_one_of(argv[i], with_value)) {
      if (argv[i + 1] == NULL) return EW_LOADER_NONE;
      i++;
      continue;
    }
    if (argv[i][0] == '-') return EW_LOADER_UNKNOWN;
    return i;
  }
  return EW_LOADER_NONE;
}
