{
  "targets": [
    {
      "target_name": "fd_passing",
      "sources": ["native/fd-passing/fd_passing.c", "native/fd-passing/fd_relay.c", "native/fd-passing/escalated_spawn.c", "native/fd-passing/napi_errors.c", "native/fd-passing/file_view.c"],
      "cflags": ["-Wall", "-Wextra", "<!@(node -p \"process.env.EXECWARD_WERROR ? '-Werror' : ''\")", "-Wno-unused-parameter", "-std=gnu11"]
    }
  ]
}
