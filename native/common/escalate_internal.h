#ifndef EW_ESCALATE_INTERNAL_H
#define EW_ESCALATE_INTERNAL_H

/*
 * Shared between the escalation client's own files only. The hook is a shared library loaded
 * into every program: what these files share must not be exported from it (a program's own
 * symbol of the same name would otherwise interpose), hence hidden visibility.
 */
#define EW_INTERNAL __attribute__((visibility("hidden")))

#endif
