#ifndef EW_ESCALATE_JSON_IN_H
#define EW_ESCALATE_JSON_IN_H

/* The server's answers, parsed (escalate_json_in.c); 0, or -1 when malformed. */
#include <stddef.h>

#include "escalate_client.h"
#include "escalate_internal.h"

/* Hidden: the hook is loaded into every program, whose own symbols must not interpose ours. */
#pragma GCC visibility push(hidden)

/* {"action":"Run"} | {"action":"Escalate"} | {"action":{"Deny":{"reason":string|null}}} */
EW_INTERNAL int ew_parse_response(const char *json, size_t length, ew_decision_t *out);

/* {"exit_code":N[,"signal":S]} */
EW_INTERNAL int ew_parse_result(const char *json, size_t length, int *exit_code, int *signal);

#pragma GCC visibility pop

#endif
