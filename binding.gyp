{
  "targets": [
    {
      "target_name": "fd_passing",
      "sources": ["native/fd-passing/fd_passing.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-std=gnu11"]
    }
  ]
}
