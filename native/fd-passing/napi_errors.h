/* napi_errors: the one way the addon turns an errno into a thrown JS error (see napi_errors.c). */
#ifndef EXECWARD_NAPI_ERRORS_H
#define EXECWARD_NAPI_ERRORS_H

#include <node_api.h>

/* Throws an Error whose `code` is the errno's name (EIO when it has none); returns NULL. */
napi_value ew_throw_errno(napi_env env, const char *what, int err);

#endif
