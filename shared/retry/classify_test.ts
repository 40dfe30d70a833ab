import assert from "node:assert/strict";
import { classifyFailure, PermanentFailure, TransientFailure } from "./classify.ts";
import { StoreBusyError } from "../store/store.ts";

const kind = (err: unknown) => classifyFailure(err).kind;
const cls = (err: unknown) => classifyFailure(err).errorClass;

Deno.test("errors that say what they are keep their class", () => {
  assert.deepEqual(classifyFailure(new PermanentFailure("validation", "quantity must be > 0")), {
    kind: "permanent",
    errorClass: "validation",
    message: "quantity must be > 0",
  });
  assert.equal(kind(new TransientFailure("injected", "flaky order o-1")), "transient");
});

Deno.test("database trouble is transient", () => {
  assert.equal(cls(new Error("connect ECONNREFUSED 127.0.0.1:5432")), "network");
  assert.equal(kind(new Error("connect ECONNREFUSED 127.0.0.1:5432")), "transient");
  assert.equal(cls(new Error("database is locked")), "database");
  assert.equal(
    kind(Object.assign(new Error("terminating connection"), { code: "57P01" })),
    "transient",
  );
  assert.equal(kind(new StoreBusyError(8, new Error("SQLITE_BUSY"))), "transient");
});

Deno.test("registry: down is transient, an unknown schema id or foreign bytes permanent", () => {
  assert.equal(kind(new Error("the schema registry at http://x cannot be reached")), "transient");
  assert.equal(kind(new Error("Schema not found")), "permanent");
  assert.equal(kind(new Error("Message encoded with magic byte 123, expected 0")), "permanent");
});

Deno.test("kafkajs errors follow their retriable flag", () => {
  const timeout = Object.assign(new Error("Request timed out"), {
    name: "KafkaJSRequestTimeoutError",
    retriable: true,
  });
  assert.deepEqual([kind(timeout), cls(timeout)], ["transient", "broker"]);
  const tooBig = Object.assign(new Error("message too large"), {
    name: "KafkaJSProtocolError",
    retriable: false,
  });
  assert.equal(kind(tooBig), "permanent");
});

Deno.test("an unknown error is retried, as Spring Kafka does", () => {
  assert.equal(kind(new Error("something odd")), "transient");
  assert.equal(kind("a string"), "transient");
});
