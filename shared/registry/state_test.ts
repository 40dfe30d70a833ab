import assert from "node:assert/strict";
import { parseAvroSchema } from "./compatibility.ts";
import {
  compatibilityMessages,
  configKey,
  decodeRecord,
  encodeRecord,
  ErrorCode,
  type LogRecord,
  lookupSchema,
  MalformedRecordError,
  parseVersion,
  type Plan,
  planDeleteConfig,
  planDeleteSubject,
  planDeleteVersion,
  planRegister,
  planSetConfig,
  RegistryError,
  RegistryState,
  requireVersion,
  schemaKey,
} from "./state.ts";

const order = (fields: unknown[]) =>
  parseAvroSchema(JSON.stringify({ type: "record", name: "Order", fields }));
const V1 = order([{ name: "id", type: "string" }]);
const V2 = order([{ name: "id", type: "string" }, { name: "qty", type: "int", default: 1 }]);
const BREAKING = order([{ name: "id", type: "string" }, { name: "price", type: "double" }]);

/** A state and a log, kept in step the way the registry keeps them. */
function registry() {
  const state = new RegistryState();
  const log: LogRecord[] = [];
  const run = <T>(plan: Plan<T>): T => {
    for (const record of plan.records) {
      log.push(record);
      state.apply(record);
    }
    return plan.result;
  };
  return { state, log, run };
}

function assertCode(fn: () => unknown, code: number) {
  assert.throws(fn, (err) => err instanceof RegistryError && err.code === code);
}

Deno.test("register: ids are global, versions per subject, repeats write nothing", () => {
  const { state, log, run } = registry();
  assert.deepEqual(run(planRegister(state, "a", V1)), { id: 1, version: 1 });
  assert.deepEqual(run(planRegister(state, "a", V2)), { id: 2, version: 2 });
  const again = planRegister(state, "a", V1);
  assert.deepEqual(again, { result: { id: 1, version: 1 }, records: [] });
  // The same schema under another subject reuses its id.
  assert.deepEqual(run(planRegister(state, "b", V2)), { id: 2, version: 1 });
  assert.equal(log.length, 3);
  assert.deepEqual(state.subjects(), ["a", "b"]);
  assert.equal(state.schemaById(2), V2.canonical);
  assert.deepEqual(state.usages(2).map((v) => `${v.subject}/${v.version}`), ["a/2", "b/1"]);
});

Deno.test("register: an incompatible schema is refused with 409 and why", () => {
  const { state, run } = registry();
  run(planRegister(state, "a", V1));
  assert.throws(
    () => planRegister(state, "a", BREAKING),
    (err) =>
      err instanceof RegistryError && err.code === 409 && err.status === 409 &&
      /incompatible.*version 1.*price/s.test(err.message),
  );
  run(planSetConfig("a", "NONE"));
  assert.deepEqual(run(planRegister(state, "a", BREAKING)), { id: 2, version: 2 });
});

Deno.test("config: subject level, then global, then BACKWARD", () => {
  const { state, run } = registry();
  assert.equal(state.effectiveLevel("a"), "BACKWARD");
  run(planSetConfig(null, "FULL"));
  assert.equal(state.effectiveLevel("a"), "FULL");
  run(planSetConfig("a", "NONE"));
  assert.equal(state.effectiveLevel("a"), "NONE");
  assert.equal(state.configuredLevel("b"), undefined);
  assert.equal(run(planDeleteConfig(state, "a")), "NONE");
  assert.equal(state.effectiveLevel("a"), "FULL");
  assertCode(() => planDeleteConfig(state, "a"), ErrorCode.subjectNotFound);
  assert.equal(run(planDeleteConfig(state, null)), "FULL");
  assert.equal(state.effectiveLevel(null), "BACKWARD");
});

Deno.test("soft delete hides versions, keeps ids; permanent delete only after it", () => {
  const { state, run } = registry();
  run(planRegister(state, "a", V1));
  run(planRegister(state, "a", V2));
  run(planSetConfig("a", "FULL"));

  assertCode(() => planDeleteSubject(state, "a", true), ErrorCode.subjectNotSoftDeleted);
  assert.deepEqual(run(planDeleteVersion(state, "a", 2, false)), 2);
  assertCode(() => planDeleteVersion(state, "a", 2, false), ErrorCode.versionSoftDeleted);
  assertCode(() => planDeleteVersion(state, "a", 1, true), ErrorCode.versionNotSoftDeleted);
  assert.deepEqual(state.versions("a").map((v) => v.version), [1]);
  assert.equal(requireVersion(state, "a", "latest").version, 1);
  assertCode(() => requireVersion(state, "a", 2), ErrorCode.versionNotFound);
  assert.equal(requireVersion(state, "a", 2, true).deleted, true);
  assert.equal(state.schemaById(2), V2.canonical, "a soft-deleted schema keeps its id");

  assert.deepEqual(run(planDeleteSubject(state, "a", false)), [1]);
  assertCode(() => planDeleteSubject(state, "a", false), ErrorCode.subjectSoftDeleted);
  assert.deepEqual(state.subjects(), []);
  assert.deepEqual(state.subjects(true), ["a"]);
  assertCode(() => requireVersion(state, "a", "latest"), ErrorCode.subjectNotFound);

  // Registering again after a soft delete: a new version, the same id.
  assert.deepEqual(run(planRegister(state, "a", V2)), { id: 2, version: 3 });
  run(planDeleteSubject(state, "a", false));

  assert.deepEqual(run(planDeleteSubject(state, "a", true)), [1, 2, 3]);
  assertCode(() => planDeleteSubject(state, "a", false), ErrorCode.subjectNotFound);
  assert.equal(state.schemaById(1), undefined);
  assert.equal(state.configuredLevel("a"), undefined, "the subject's config goes with it");
  // Versions start over; ids never go back.
  assert.deepEqual(run(planRegister(state, "a", V1)), { id: 3, version: 1 });
});

Deno.test("lookup finds a schema under a subject", () => {
  const { state, run } = registry();
  assertCode(() => lookupSchema(state, "a", V1), ErrorCode.subjectNotFound);
  run(planRegister(state, "a", V1));
  assert.equal(lookupSchema(state, "a", V1).id, 1);
  assertCode(() => lookupSchema(state, "a", V2), ErrorCode.schemaNotFound);
  run(planDeleteSubject(state, "a", false));
  assertCode(() => lookupSchema(state, "a", V1), ErrorCode.subjectNotFound);
  assert.equal(lookupSchema(state, "a", V1, true).deleted, true);
});

Deno.test("compatibility test against a version, the latest, or nothing yet", () => {
  const { state, run } = registry();
  assert.deepEqual(compatibilityMessages(state, "a", BREAKING, "latest"), []);
  assertCode(() => compatibilityMessages(state, "a", BREAKING, 1), ErrorCode.subjectNotFound);
  run(planRegister(state, "a", V1));
  assert.deepEqual(compatibilityMessages(state, "a", V2, "latest"), []);
  const messages = compatibilityMessages(state, "a", BREAKING, 1);
  assert.match(messages[0], /price/);
  assert.equal(messages.at(-1), "{compatibility: 'BACKWARD'}");
  assertCode(() => compatibilityMessages(state, "a", V2, 7), ErrorCode.versionNotFound);
});

Deno.test("versions parse like Confluent's", () => {
  assert.equal(parseVersion("latest"), "latest");
  assert.equal(parseVersion("-1"), "latest");
  assert.equal(parseVersion("12"), 12);
  for (const bad of ["0", "-2", "1.5", "x", "2147483648"]) {
    assertCode(() => parseVersion(bad), ErrorCode.invalidVersion);
  }
});

Deno.test("records round-trip through their encoding; keys are stable bytes", () => {
  const records: LogRecord[] = [
    {
      key: schemaKey("a", 1),
      value: { subject: "a", version: 1, id: 4, schema: V1.canonical, deleted: true },
    },
    { key: schemaKey("a", 1), value: null },
    { key: configKey(null), value: { compatibilityLevel: "FULL" } },
    { key: configKey("a"), value: null },
  ];
  for (const record of records) {
    const { key, value } = encodeRecord(record);
    assert.deepEqual(decodeRecord(key, value), record);
  }
  assert.equal(
    encodeRecord(records[0]).key,
    '{"keytype":"SCHEMA","subject":"a","version":1,"magic":1}',
  );
  assert.equal(encodeRecord(records[2]).key, '{"keytype":"CONFIG","subject":null,"magic":0}');
  // Markers we do not need are skipped; garbage is reported.
  assert.equal(decodeRecord('{"keytype":"NOOP","magic":0}', null), undefined);
  assert.throws(() => decodeRecord("garbage", null), MalformedRecordError);
  assert.throws(
    () => decodeRecord('{"keytype":"SCHEMA","subject":"a","version":1,"magic":1}', "{}"),
    MalformedRecordError,
  );
});

Deno.test("a compacted log rebuilds the same state as the full one", () => {
  const { state, log, run } = registry();
  run(planRegister(state, "a", V1));
  run(planRegister(state, "a", V2));
  run(planRegister(state, "b", V1));
  run(planSetConfig("b", "FORWARD"));
  run(planDeleteVersion(state, "a", 1, false));
  run(planDeleteSubject(state, "b", false));
  run(planDeleteSubject(state, "b", true));
  run(planSetConfig(null, "FULL"));

  const latestByKey = new Map<string, LogRecord>();
  for (const record of log) {
    const { key } = encodeRecord(record);
    latestByKey.delete(key); // compaction keeps the latest, at its position
    latestByKey.set(key, record);
  }
  const compacted = [...latestByKey.values()].filter((r) => r.value !== null);
  const rebuilt = new RegistryState();
  rebuilt.reset(compacted);
  for (const s of [state, rebuilt]) {
    assert.deepEqual(s.subjects(true), ["a"]);
    assert.deepEqual(s.versions("a", true).map((v) => [v.version, v.id, v.deleted]), [
      [1, 1, true],
      [2, 2, false],
    ]);
    assert.equal(s.effectiveLevel("b"), "FULL");
    assert.equal(s.maxId, 2);
  }
});
