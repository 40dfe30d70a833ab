import assert from "node:assert/strict";
import { createLogger, formatLogLine, LOG_LEVELS, type LogLevel, silentLogger } from "./log.ts";

const NOW = new Date("2024-05-06T07:08:09.010Z");

/** A logger whose lines are collected, parsed, for inspection. */
function collecting(level?: LogLevel, fields?: Record<string, unknown>) {
  const raw: string[] = [];
  const log = createLogger({ name: "test", level, fields, write: (line) => raw.push(line) });
  const lines = () => raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, raw, lines };
}

// ---------------------------------------------------------------- formatLogLine

Deno.test("formatLogLine writes ts, level, logger and msg first, then the fields", () => {
  const line = formatLogLine("info", "producer", "started", { topic: "orders", n: 3 }, NOW);
  assert.equal(
    line,
    '{"ts":"2024-05-06T07:08:09.010Z","level":"info","logger":"producer","msg":"started",' +
      '"topic":"orders","n":3}',
  );
});

Deno.test("formatLogLine is one line even when the message and fields hold newlines", () => {
  const line = formatLogLine("warn", "x", "two\nlines", { detail: "a\r\nb" }, NOW);
  assert.ok(!line.includes("\n") && !line.includes("\r"), line);
  const parsed = JSON.parse(line);
  assert.equal(parsed.msg, "two\nlines");
  assert.equal(parsed.detail, "a\r\nb");
});

Deno.test("formatLogLine uses the current time when none is given", () => {
  const before = Date.now();
  const { ts } = JSON.parse(formatLogLine("debug", "x", "m", {}));
  const at = Date.parse(ts);
  assert.ok(at >= before && at <= Date.now(), ts);
  assert.equal(new Date(at).toISOString(), ts);
});

Deno.test("formatLogLine drops undefined fields and keeps null, false and 0", () => {
  const parsed = JSON.parse(
    formatLogLine("info", "x", "m", { gone: undefined, nil: null, no: false, zero: 0 }, NOW),
  );
  assert.deepEqual(Object.keys(parsed), ["ts", "level", "logger", "msg", "nil", "no", "zero"]);
  assert.deepEqual([parsed.nil, parsed.no, parsed.zero], [null, false, 0]);
});

Deno.test("formatLogLine fields cannot overwrite ts, level, logger or msg", () => {
  const parsed = JSON.parse(
    formatLogLine("error", "real", "real msg", {
      ts: "fake",
      level: "debug",
      logger: "fake",
      msg: "fake",
      extra: 1,
    }, NOW),
  );
  assert.deepEqual(parsed, {
    ts: NOW.toISOString(),
    level: "error",
    logger: "real",
    msg: "real msg",
    extra: 1,
  });
});

Deno.test("formatLogLine keeps fields named like Object.prototype members", () => {
  const parsed = JSON.parse(
    formatLogLine("info", "x", "m", { constructor: "c", toString: "t", valueOf: 1 }, NOW),
  );
  assert.equal(parsed.constructor, "c");
  assert.equal(parsed.toString, "t");
  assert.equal(parsed.valueOf, 1);
});

Deno.test("formatLogLine serialises an Error with name and message", () => {
  const parsed = JSON.parse(formatLogLine("error", "x", "failed", { err: new TypeError("bad") }));
  assert.deepEqual(parsed.err, { name: "TypeError", message: "bad" });
});

Deno.test("formatLogLine serialises an Error's code and its cause chain", () => {
  const root = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
  const mid = new Error("broker unreachable", { cause: root });
  const top = new RangeError("send failed", { cause: mid });
  const parsed = JSON.parse(formatLogLine("error", "x", "m", { err: top }, NOW));
  assert.deepEqual(parsed.err, {
    name: "RangeError",
    message: "send failed",
    cause: {
      name: "Error",
      message: "broker unreachable",
      cause: { name: "Error", message: "connection refused", code: "ECONNREFUSED" },
    },
  });
});

Deno.test("formatLogLine keeps a non-Error cause as it is", () => {
  const parsed = JSON.parse(
    formatLogLine("error", "x", "m", { err: new Error("outer", { cause: { status: 503 } }) }, NOW),
  );
  assert.deepEqual(parsed.err, { name: "Error", message: "outer", cause: { status: 503 } });
});

Deno.test("formatLogLine uses a custom Error subclass's name", () => {
  class BrokerError extends Error {
    constructor(message: string) {
      super(message);
      this.name = "BrokerError";
    }
  }
  const parsed = JSON.parse(formatLogLine("error", "x", "m", { err: new BrokerError("gone") }));
  assert.deepEqual(parsed.err, { name: "BrokerError", message: "gone" });
});

Deno.test("formatLogLine writes a bigint as its exact decimal string", () => {
  const big = 2n ** 64n + 1n;
  const parsed = JSON.parse(formatLogLine("info", "x", "m", { offset: big, small: 5n }, NOW));
  assert.equal(parsed.offset, "18446744073709551617");
  assert.equal(parsed.small, "5");
});

Deno.test("formatLogLine handles bigints and Errors nested in objects and arrays", () => {
  const line = formatLogLine("info", "x", "m", {
    batch: { firstOffset: 10n, offsets: [1n, 2n] },
    errors: [new Error("one"), new SyntaxError("two")],
  }, NOW);
  const parsed = JSON.parse(line);
  assert.deepEqual(parsed.batch, { firstOffset: "10", offsets: ["1", "2"] });
  assert.deepEqual(parsed.errors, [
    { name: "Error", message: "one" },
    { name: "SyntaxError", message: "two" },
  ]);
});

Deno.test("formatLogLine writes the level it is given", () => {
  for (const level of LOG_LEVELS) {
    assert.equal(JSON.parse(formatLogLine(level, "x", "m", {}, NOW)).level, level);
  }
});

// ---------------------------------------------------------------- createLogger

Deno.test("LOG_LEVELS are ordered from most to least verbose", () => {
  assert.deepEqual(LOG_LEVELS, ["debug", "info", "warn", "error"]);
});

Deno.test("createLogger writes one JSON line per call, named and with its fields", () => {
  const { log, raw, lines } = collecting();
  log.info("hello", { topic: "orders" });
  assert.equal(raw.length, 1);
  assert.ok(!raw[0].includes("\n"));
  const [line] = lines();
  assert.equal(line.level, "info");
  assert.equal(line.logger, "test");
  assert.equal(line.msg, "hello");
  assert.equal(line.topic, "orders");
  assert.equal(typeof line.ts, "string");
});

Deno.test("createLogger defaults to level info: debug is dropped", () => {
  const { log, lines } = collecting();
  assert.equal(log.level, "info");
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(lines().map((l) => [l.level, l.msg]), [
    ["info", "i"],
    ["warn", "w"],
    ["error", "e"],
  ]);
});

Deno.test("createLogger writes only lines at or above its level", () => {
  const expected: Record<LogLevel, LogLevel[]> = {
    debug: ["debug", "info", "warn", "error"],
    info: ["info", "warn", "error"],
    warn: ["warn", "error"],
    error: ["error"],
  };
  for (const level of LOG_LEVELS) {
    const { log, lines } = collecting(level);
    assert.equal(log.level, level);
    for (const at of LOG_LEVELS) log[at](`at ${at}`);
    assert.deepEqual(lines().map((l) => l.level), expected[level], `level ${level}`);
  }
});

Deno.test("createLogger adds its base fields to every line; call fields win", () => {
  const { log, lines } = collecting("info", { service: "svc", region: "eu" });
  log.info("a");
  log.warn("b", { region: "us", extra: true });
  assert.deepEqual(lines().map(({ ts: _ts, ...rest }) => rest), [
    { level: "info", logger: "test", msg: "a", service: "svc", region: "eu" },
    { level: "warn", logger: "test", msg: "b", service: "svc", region: "us", extra: true },
  ]);
});

Deno.test("child() adds fields to every line and keeps name, level and writer", () => {
  const { log, lines } = collecting("warn", { service: "svc" });
  const child = log.child({ partition: 3 });
  assert.equal(child.level, "warn");
  child.info("dropped, below warn");
  child.warn("slow batch", { ms: 420 });
  const [line] = lines();
  assert.equal(lines().length, 1);
  assert.deepEqual(
    { logger: line.logger, service: line.service, partition: line.partition, ms: line.ms },
    { logger: "test", service: "svc", partition: 3, ms: 420 },
  );
});

Deno.test("child() fields override the parent's, and the parent is unchanged", () => {
  const { log, lines } = collecting("info", { stage: "parent", keep: 1 });
  const child = log.child({ stage: "child" });
  const grandchild = child.child({ depth: 2 });
  child.info("c");
  grandchild.info("g", { stage: "call" });
  log.info("p");
  const [c, g, p] = lines();
  assert.deepEqual([c.stage, c.keep, c.depth], ["child", 1, undefined]);
  assert.deepEqual([g.stage, g.keep, g.depth], ["call", 1, 2]);
  assert.deepEqual([p.stage, p.keep, p.depth], ["parent", 1, undefined]);
});

Deno.test("createLogger serialises Error fields through the writer", () => {
  const { log, lines } = collecting();
  log.error("failed", { err: new Error("boom", { cause: new Error("root") }) });
  assert.deepEqual(lines()[0].err, {
    name: "Error",
    message: "boom",
    cause: { name: "Error", message: "root" },
  });
});

Deno.test("silentLogger only lets errors through, to nowhere, and never throws", () => {
  assert.equal(silentLogger.level, "error");
  silentLogger.debug("x");
  silentLogger.info("x");
  silentLogger.warn("x");
  silentLogger.error("x", { err: new Error("e") });
  silentLogger.child({ a: 1 }).error("x");
});
