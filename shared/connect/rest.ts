/**
 * The parts of Kafka Connect's REST API the pipeline uses: create or update
 * a connector (`PUT /connectors/<name>/config`, idempotent), read its status,
 * and wait until it and its tasks run. A connector or task that failed ends
 * the wait at once with the first line of its trace, which names what to fix.
 *
 * @example
 * ```ts ignore
 * import { ConnectRest } from "./rest.ts";
 * const rest = new ConnectRest("http://127.0.0.1:8083");
 * await rest.putConnector("storefront-outbox", { "connector.class": "…" });
 * await rest.waitRunning("storefront-outbox", { timeoutMs: 120_000 });
 * ```
 * @module
 */
import type { ConnectorConfig } from "./connectors.ts";
import { sleep } from "../platform/shutdown.ts";

/** `GET /connectors/<name>/status`, as Connect answers it. */
export interface ConnectorStatus {
  name: string;
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/** Where a connector stands: running, still starting, or failed with a reason. */
export type ConnectorState =
  | { kind: "running" }
  | { kind: "starting"; detail: string }
  | { kind: "failed"; reason: string };

/** Reads a status answer: running only when the connector and every task (≥ 1) run. Pure. */
export function connectorState(status: ConnectorStatus): ConnectorState {
  const firstLine = (trace?: string) => trace?.split("\n")[0] ?? "no trace";
  if (status.connector.state === "FAILED") {
    return { kind: "failed", reason: `connector: ${firstLine(status.connector.trace)}` };
  }
  const failed = status.tasks.find((t) => t.state === "FAILED");
  if (failed) return { kind: "failed", reason: `task ${failed.id}: ${firstLine(failed.trace)}` };
  if (status.connector.state !== "RUNNING") {
    return { kind: "starting", detail: `connector ${status.connector.state}` };
  }
  if (status.tasks.length === 0) return { kind: "starting", detail: "no task yet" };
  const waiting = status.tasks.find((t) => t.state !== "RUNNING");
  if (waiting) return { kind: "starting", detail: `task ${waiting.id} ${waiting.state}` };
  return { kind: "running" };
}

/** An answer of the worker that says what went wrong. */
export class ConnectRestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectRestError";
  }
}

/** A client of one worker's REST API. */
export class ConnectRest {
  constructor(readonly url: string) {}

  /** Whether the worker answers at all (its REST server is up). */
  async reachable(): Promise<boolean> {
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Creates the connector, or replaces its config (the worker restarts it if it changed). */
  async putConnector(name: string, config: ConnectorConfig): Promise<void> {
    const res = await fetch(`${this.url}/connectors/${encodeURIComponent(name)}/config`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(config),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new ConnectRestError(`the worker refused connector ${name}: ${errorMessage(text)}`);
    }
  }

  /** The connector's status, or undefined while the worker does not know it yet. */
  async status(name: string): Promise<ConnectorStatus | undefined> {
    const res = await fetch(`${this.url}/connectors/${encodeURIComponent(name)}/status`, {
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status === 404) return undefined;
    if (!res.ok) throw new ConnectRestError(`status of ${name}: ${errorMessage(text)}`);
    return JSON.parse(text) as ConnectorStatus;
  }

  /**
   * Restarts the connector's failed parts (`onlyFailed`): a no-op when none
   * failed. Answers meaning "not now" (unknown yet, a rebalance) are ignored.
   */
  async restartFailed(name: string): Promise<void> {
    const res = await fetch(
      `${this.url}/connectors/${
        encodeURIComponent(name)
      }/restart?includeTasks=true&onlyFailed=true`,
      { method: "POST", signal: AbortSignal.timeout(30_000) },
    );
    const text = await res.text();
    if (!res.ok && res.status !== 404 && res.status !== 409) {
      throw new ConnectRestError(`restart of ${name}: ${errorMessage(text)}`);
    }
  }

  /**
   * Waits until `name` and its tasks run, or throws after `timeoutMs`. A
   * failure is restarted once (the status topic may still say FAILED from
   * an earlier run, or the database was not up yet); a second ends the wait.
   */
  async waitRunning(
    name: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    let last = "not known to the worker yet";
    let restarted = false;
    while (Date.now() < deadline && !options.signal?.aborted) {
      const status = await this.status(name).catch((err) => {
        last = `${err}`;
        return undefined;
      });
      if (status) {
        const state = connectorState(status);
        if (state.kind === "running") return;
        if (state.kind === "failed") {
          if (restarted) throw new ConnectRestError(`connector ${name} failed: ${state.reason}`);
          restarted = true;
          await this.restartFailed(name);
        }
        last = state.kind === "failed" ? state.reason : state.detail;
      }
      await sleep(500, options.signal);
    }
    throw new ConnectRestError(
      `connector ${name} was not running after ${options.timeoutMs / 1000} s (${last})`,
    );
  }
}

/** The `message` of a Connect error body, else the body. Pure. */
export function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed?.message === "string") return parsed.message;
  } catch { /* not JSON */ }
  return body.slice(0, 500);
}
