/* The ask list's matching, one copy for the exec hook and the exec supervisor (see the header). */
#include "escalate_ask_list.h"

#include <string.h>

const char *ew_base_name(const char *path) {
  const char *base = path;
  for (const char *p = path; *p != '\0'; p++) {
    if (*p == '/' && p[1] != '\0') base = p + 1;
  }
  return base;
}

int ew_ask_listed(const char *ask_list, const char *name) {
  size_t n = 0;
  while (name[n] != '\0' && name[n] != '/') n++;
  if (n == 0) return 0;
  for (const char *p = ask_list; *p != '\0'; p++) {
    if (*p != '/') continue;
    if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '/') return 1;
  }
  return 0;
}
