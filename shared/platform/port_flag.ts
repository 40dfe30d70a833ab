/**
 * A flag that names a TCP port to listen on: a whole number 0..65535, 0
 * meaning any free port, with its env var and default. For every script
 * that listens (the HTTP surfaces, the registry, a local broker).
 *
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * import { portFlag } from "./port_flag.ts";
 * const config = defineConfig({
 *   name: "x",
 *   summary: "y",
 *   flags: { port: portFlag("X_PORT", 8090, "port to listen on (0: any free port)") },
 * });
 * config.parse([], () => undefined).port; // 8090
 * ```
 * @module
 */

/** A TCP port flag: a whole number 0..65535, 0 meaning any free port. */
export function portFlag<E extends string>(env: E, port: number, description: string) {
  return {
    type: "number",
    env,
    integer: true,
    min: 0,
    max: 65535,
    default: port,
    description,
  } as const;
}
