import assert from "node:assert/strict";
import { connectorState, errorMessage } from "./rest.ts";

const running = { state: "RUNNING" };

Deno.test("connectorState: running only when the connector and every task run", () => {
  assert.deepEqual(
    connectorState({ name: "c", connector: running, tasks: [{ id: 0, state: "RUNNING" }] }),
    { kind: "running" },
  );
  assert.deepEqual(connectorState({ name: "c", connector: running, tasks: [] }), {
    kind: "starting",
    detail: "no task yet",
  });
  assert.deepEqual(
    connectorState({
      name: "c",
      connector: running,
      tasks: [{ id: 0, state: "RUNNING" }, { id: 1, state: "UNASSIGNED" }],
    }),
    { kind: "starting", detail: "task 1 UNASSIGNED" },
  );
  assert.deepEqual(
    connectorState({ name: "c", connector: { state: "UNASSIGNED" }, tasks: [] }),
    { kind: "starting", detail: "connector UNASSIGNED" },
  );
});

Deno.test("connectorState: a failure says where, with the first line of its trace", () => {
  assert.deepEqual(
    connectorState({
      name: "c",
      connector: running,
      tasks: [{ id: 0, state: "FAILED", trace: "org.x.ConnectException: slot in use\n\tat a.b" }],
    }),
    { kind: "failed", reason: "task 0: org.x.ConnectException: slot in use" },
  );
  assert.deepEqual(
    connectorState({ name: "c", connector: { state: "FAILED" }, tasks: [] }),
    { kind: "failed", reason: "connector: no trace" },
  );
});

Deno.test("errorMessage takes Connect's message, else the body", () => {
  assert.equal(errorMessage('{"error_code":400,"message":"bad config"}'), "bad config");
  assert.equal(errorMessage("<html>oops</html>"), "<html>oops</html>");
});
