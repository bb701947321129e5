/*
 * The ask list: the program names some rule could match, "/name1/name2/", sent by the server.
 * An exec whose names are all off the list is one no rule can decide, so the exec hook and the
 * exec supervisor let it run without asking (their fast path). Async-signal-safe, no allocation.
 */
#ifndef EXECWARD_ESCALATE_ASK_LIST_H
#define EXECWARD_ESCALATE_ASK_LIST_H

#include "escalate_internal.h"

/* The last component of `path` (a trailing slash does not count); `path` itself when it has none. */
EW_INTERNAL const char *ew_base_name(const char *path);

/* Whether `name` (up to its first '/') is on `ask_list` ("/a/b/"); an empty name never is. */
EW_INTERNAL int ew_ask_listed(const char *ask_list, const char *name);

#endif
