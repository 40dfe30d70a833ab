import assert from "node:assert/strict";
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
