/* fd_relay: kernel-side relaying between two stream sockets (see fd_relay.c). */
#ifndef EXECWARD_FD_RELAY_H
#define EXECWARD_FD_RELAY_H

#include <node_api.h>

napi_value fd_relay_js(napi_env env, napi_callback_info info);

#endif
