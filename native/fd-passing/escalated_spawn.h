/* escalated_spawn: starts an escalated program from the judged host descriptors (see escalated_spawn.c). */
#ifndef EXECWARD_ESCALATED_SPAWN_H
#define EXECWARD_ESCALATED_SPAWN_H

#include <node_api.h>
#include <sys/types.h>

/*
 * A write to a requester's descriptor that never waits for a reader: pwritev2(RWF_NOWAIT) on a
 * pipe or socket (a full one fails with EAGAIN; a kernel that cannot do it there, with
 * EOPNOTSUPP, and nothing is written), a plain write(2) to anything else (a terminal, a file),
 * which RWF_NOWAIT does not support. Raw system calls only: the vfork child uses it too.
 */
ssize_t escalated_write_no_wait(int fd, const void *data, size_t length);

napi_value escalated_spawn_js(napi_env env, napi_callback_info info);
napi_value escalated_reap_js(napi_env env, napi_callback_info info);

#endif
