import assert from "node:assert/strict";
import { MultipleErrors, NetworkError, ProtocolError } from "@platformatic/kafka";
import { classifySendError, errorMessage, IntakeError, withDeadline } from "./intake_error.ts";

Deno.test("send failures are sorted into what a caller can do about them", () => {
  const tooLarge = Object.assign(new Error("too large"), {
    name: "KafkaJSProtocolError",
    type: "MESSAGE_TOO_LARGE",
    retriable: false,
  });
  assert.equal(classifySendError(tooLarge), "too-large");
  const wrapped = Object.assign(new Error("non retriable"), {
    name: "KafkaJSNonRetriableError",
    cause: tooLarge,
  });
  assert.equal(classifySendError(wrapped), "too-large");
  const refused = Object.assign(new Error("Connection error"), { name: "KafkaJSConnectionError" });
  assert.equal(classifySendError(refused), "unavailable");
  const retries = Object.assign(new Error("retries exceeded"), {
    name: "KafkaJSNumberOfRetriesExceeded",
    cause: refused,
  });
  assert.equal(classifySendError(retries), "unavailable");
  const invalid = Object.assign(new Error("invalid record"), {
    name: "KafkaJSProtocolError",
    type: "INVALID_RECORD",
    retriable: false,
  });
  assert.equal(classifySendError(invalid), "failed");
  assert.equal(classifySendError(new IntakeError("closed", "closed")), "closed");
});

Deno.test("@platformatic/kafka's failures are sorted the same way, through its aggregates", () => {
  // A send wraps each broker's failure, and each of those its retries' errors.
  const send = (inner: Error) =>
    new MultipleErrors("Producing messages failed.", [
      new MultipleErrors("produce failed 1 times.", [inner]),
    ]);
  assert.equal(classifySendError(send(new ProtocolError("MESSAGE_TOO_LARGE"))), "too-large");
  assert.equal(classifySendError(send(new ProtocolError("RECORD_LIST_TOO_LARGE"))), "too-large");
  assert.equal(classifySendError(send(new ProtocolError("INVALID_RECORD"))), "failed");
  assert.equal(classifySendError(send(new ProtocolError("TOPIC_AUTHORIZATION_FAILED"))), "failed");
  const refused = new NetworkError("Connection to 127.0.0.1:1 failed.", {
    cause: new Error("connect ECONNREFUSED 127.0.0.1:1"),
  });
  assert.equal(classifySendError(send(refused)), "unavailable");
  // A retriable broker error that outlasted the retries: try again later.
  assert.equal(classifySendError(send(new ProtocolError("NOT_ENOUGH_REPLICAS"))), "unavailable");
});

Deno.test("a send past its deadline fails as unavailable; one in time passes through", async () => {
  assert.equal(await withDeadline(Promise.resolve(7), 1_000), 7);
  const hanging = new Promise<never>(() => {});
  await assert.rejects(
    withDeadline(hanging, 5),
    (err: unknown) => err instanceof IntakeError && err.kind === "unavailable",
  );
  await assert.rejects(withDeadline(Promise.reject(new Error("refused")), 1_000), /refused/);
});

Deno.test("an error's message, or the thrown value as text", () => {
  assert.equal(errorMessage(new Error("boom")), "boom");
  assert.equal(errorMessage("plain"), "plain");
});

Deno.test("an aggregate's message names its latest reason, each message once", () => {
  const refused = (port: number) =>
    new NetworkError(`Connection to 127.0.0.1:${port} failed.`, {
      cause: new Error(`connect ECONNREFUSED 127.0.0.1:${port}`),
    });
  const err = new MultipleErrors("initProducerId failed 2 times.", [
    new MultipleErrors("Cannot connect to any broker.", [refused(1)]),
    new MultipleErrors("Cannot connect to any broker.", [refused(2)]),
  ]);
  assert.equal(
    errorMessage(err),
    "initProducerId failed 2 times: Cannot connect to any broker: " +
      "Connection to 127.0.0.1:2 failed: connect ECONNREFUSED 127.0.0.1:2",
  );
  // A wrapper that already says its cause's message says it once.
  const wrapped = new Error(`cannot connect to Kafka: ${errorMessage(err)}`, { cause: err });
  assert.equal(errorMessage(wrapped), wrapped.message);
});
