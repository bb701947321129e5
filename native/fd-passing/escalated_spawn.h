/* escalated_spawn: starts an escalated program from the judged host descriptors (see escalated_spawn.c). */
#ifndef EXECWARD_ESCALATED_SPAWN_H
#define EXECWARD_ESCALATED_SPAWN_H

#include <node_api.h>

napi_value escalated_spawn_js(napi_env env, napi_callback_info info);
napi_value escalated_reap_js(napi_env env, napi_callback_info info);

#endif
