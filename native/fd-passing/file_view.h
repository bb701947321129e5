/* file_view: one file's identity, canonical path and first bytes for the escalation server (see file_view.c). */
#ifndef EXECWARD_FILE_VIEW_H
#define EXECWARD_FILE_VIEW_H

#include <node_api.h>

/*
 * The (dirfd, path: Buffer, flags, resolve) arguments opened with openat2 (O_CLOEXEC added; dirfd
 * -100: AT_FDCWD): the descriptor, -1 with errno when the open fails or the path is empty, too
 * long or holds a NUL, -2 with a TypeError (naming `usage`) thrown for wrong arguments. openAt2 and
 * openViewed share it.
 */
int file_view_open_argument(napi_env env, napi_value *argv, size_t argc, const char *usage);

napi_value file_view_open_js(napi_env env, napi_callback_info info);
napi_value file_view_same_js(napi_env env, napi_callback_info info);
napi_value file_view_head_js(napi_env env, napi_callback_info info);

#endif
