/*
 * napi_errors: errors from the addon's system calls reach JavaScript as one shape, an Error with
 * `code` set to the errno's name (`EAGAIN`, `EPERM`...) and a message naming the call, so the
 * TypeScript side can branch on codes rather than parse messages.
 */
#define _GNU_SOURCE
#include "napi_errors.h"

#include <stdio.h>
#include <string.h>

napi_value ew_throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, msg, error;
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name != NULL ? name : "EIO", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}
