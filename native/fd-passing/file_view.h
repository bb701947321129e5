/* file_view: one file's identity, canonical path and first bytes for the escalation server (see file_view.c). */
#ifndef EXECWARD_FILE_VIEW_H
#define EXECWARD_FILE_VIEW_H

#include <node_api.h>

napi_value file_view_open_js(napi_env env, napi_callback_info info);
napi_value file_view_same_js(napi_env env, napi_callback_info info);
napi_value file_view_head_js(napi_env env, napi_callback_info info);

#endif
