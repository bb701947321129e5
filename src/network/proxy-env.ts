/**
 * The environment that points a sandboxed command's tools at the proxy, after upstream's
 * `apply_proxy_env_overrides` (values override whatever the command inherited): HTTP(S) proxy
 * variables for the many spellings tools read, ALL_PROXY as SOCKS5 with remote DNS, and
 * NO_PROXY for local names (which stay unreachable anyway: the sandbox has no network).
 */

/** The proxy's fixed addresses inside the sandbox's own network namespace. */
export const SANDBOX_HTTP_PROXY_PORT = 3128;
export const SANDBOX_SOCKS_PROXY_PORT = 1080;

const NO_PROXY = "localhost,127.0.0.1,::1";

export function proxyEnv(httpPort: number, socksPort: number): Record<string, string> {
  const http = `http://127.0.0.1:${httpPort}`;
  const socks = `socks5h://127.0.0.1:${socksPort}`;
  const env: Record<string, string> = {
    ELECTRON_GET_USE_PROXY: "true",
    CODEX_NETWORK_PROXY_ACTIVE: "1",
    CODEX_NETWORK_ALLOW_LOCAL_BINDING: "0",
  };
  for (const name of [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "WS_PROXY",
    "WSS_PROXY",
    "npm_config_proxy",
    "npm_config_https_proxy",
    "YARN_HTTP_PROXY",
    "YARN_HTTPS_PROXY",
    "BUNDLE_HTTP_PROXY",
    "BUNDLE_HTTPS_PROXY",
    "PIP_PROXY",
    "DOCKER_HTTP_PROXY",
    "DOCKER_HTTPS_PROXY",
  ]) {
    env[name] = http;
    if (/^[A-Z_]+$/.test(name)) env[name.toLowerCase()] = http;
  }
  for (const name of ["ALL_PROXY", "FTP_PROXY"]) {
    env[name] = socks;
    env[name.toLowerCase()] = socks;
  }
  for (const name of ["NO_PROXY", "npm_config_noproxy", "YARN_NO_PROXY", "BUNDLE_NO_PROXY"]) {
    env[name] = NO_PROXY;
    if (/^[A-Z_]+$/.test(name)) env[name.toLowerCase()] = NO_PROXY;
  }
  return env;
}
