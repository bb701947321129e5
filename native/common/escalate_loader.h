/*
 * The dynamic loader run as a program (`/lib64/ld-linux-x86-64.so.2 [options] PROGRAM args`)
 * maps PROGRAM without any exec of it: execward judges such an exec as PROGRAM. Shared by the
 * exec hook and the exec supervisor (the kernel backstop); async-signal-safe, no allocation.
 */
#ifndef EXECWARD_ESCALATE_LOADER_H
#define EXECWARD_ESCALATE_LOADER_H

/* Hidden: the hook is loaded into every program, whose own symbols must not interpose ours. */
#pragma GCC visibility push(hidden)

/* Not the loader, or the loader with no program to run (it prints its usage). */
#define EW_LOADER_NONE 0
/* The loader with an option execward does not know: what it would run cannot be told. */
#define EW_LOADER_UNKNOWN (-1)
/* How many loaders in a row (`ld.so ld.so prog`) execward follows before refusing. */
#define EW_LOADER_MAX_DEPTH 4

/* Whether a file's basename is a dynamic loader's (ld-linux*.so*, ld-musl-*.so*, ld.so*, ld64.so*). */
int ew_is_loader_name(const char *base);

/*
 * For an exec of `path` (canonical path `resolved`, may be NULL) with `argv`: EW_LOADER_NONE,
 * EW_LOADER_UNKNOWN, or the index in argv of the program the loader would run (>= 1).
 */
int ew_loader_program(const char *path, const char *resolved, char *const argv[]);

#pragma GCC visibility pop

#endif
