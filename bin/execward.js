#!/bin/sh
":" //; case "$1" in mcp | run) exec node --max-semi-space-size=1 -- "$0" "$@" ;; esac; exec node -- "$0" "$@"
/*
 * The `execward` command as npm installs it: a file that is both a POSIX sh script and an ES
 * module. Run as a command, sh reads line 2 and replaces itself with node, started with the V8
 * settings execward's memory figures depend on (`--max-semi-space-size=1`: a young generation
 * of 1 MiB per semi-space instead of up to 16, which a server that mostly waits on sockets and
 * children does not need; it keeps the MCP server's resident set about a third smaller). node
 * reads this same file ("$0": node resolves the symlink npm made, so the import below is
 * relative to the package), where line 2 is a string and a comment. Only `mcp` and `run`, the
 * commands that keep a server running, get the flag: any V8 flag (even `--stack-size`) costs
 * a start ~10-15 ms of CPU, apparently because node's built-in code cache for its own modules
 * no longer matches and they are compiled afresh, which `--version`, `--help`, `rules` and
 * `log` need not pay. Nothing else happens here: `node dist/cli/main.js` is the same program,
 * with V8's defaults.
 */
import "../dist/cli/main.js";
