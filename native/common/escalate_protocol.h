/*
 * Constants of the escalation protocol, shared by the exec hook and the execve wrapper.
 * The single source of truth is src/escalation/protocol.ts; test/unit/escalation/
 * native-constants.test.ts checks that these agree with it.
 */
#ifndef EXECWARD_ESCALATE_PROTOCOL_H
#define EXECWARD_ESCALATE_PROTOCOL_H

#define EW_ESCALATE_SOCKET_ENV "CODEX_ESCALATE_SOCKET"
#define EW_EXEC_WRAPPER_ENV "EXEC_WRAPPER"
#define EW_LEGACY_BASH_EXEC_WRAPPER_ENV "BASH_EXEC_WRAPPER"
#define EW_HOOK_LIBRARY_ENV "EXECWARD_HOOK"
#define EW_HOOK_WRAPPER_ENV "EXECWARD_WRAPPER"
#define EW_HOOK_ASK_ENV "EXECWARD_ASK"
/* "1": the hook sends a fast-path notice per exec (someone records them: an audit log). */
#define EW_HOOK_NOTICES_ENV "EXECWARD_HOOK_NOTICES"

#define EW_MAX_FRAME_BYTES (16 * 1024 * 1024)
#define EW_MAX_FDS_PER_MESSAGE 16
#define EW_DENIED_EXIT_STATUS 1
#define EW_DENIED_MESSAGE_PREFIX "Execution denied"
/* A read-only mount point every execward sandbox has and nothing inside can remove. */
#define EW_SANDBOX_MARKER "/dev/.execward-sandbox"

#endif
