{
  "targets": [
    {
      "target_name": "fd_passing",
      "sources": ["native/fd-passing/fd_passing.c", "native/fd-passing/fd_relay.c", "native/fd-passing/escalated_spawn.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-std=gnu11"]
    }
  ]
}
