/**
 * The DLQ replayer as a real process on the real broker, under its catalog
 * permissions: list groups by the rule the reasons name (the validator's
 * and the router's own reasons, values left out, a few kept as samples),
 * show decodes, replay sends exactly
 * the selection back with fresh headers and records it in the ledger so a
 * second run replays nothing, --dry-run writes nothing, no selection is
 * refused, a group that all failed validation goes only with --force,
 * --rate holds. Every test has its own topics; the DLQ records are
 * written in a transaction, as the pipeline writes them, so the topic ends
 * with a control marker the reader must not hang on.
 */
import assert from "node:assert/strict";
import { scriptByEntry } from "../scripts/services.ts";
import { createAvroCodec } from "../shared/kafka/avro_codec.ts";
import type { AvroRecordSchema } from "../shared/orders/schemas.ts";
import { startRegistry } from "../shared/registry/server.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../shared/kafka/topics.ts";
import { topicOffsets } from "../shared/kafka/admin.ts";
import {
  badQuantity,
  type DeadLetterSeed,
  notJson,
  QUANTITY_RULE,
  writeDeadLetters,
} from "./dead_letters.ts";
import {
  integration,
  testAdmin,
  testBrokers,
  testConnection,
  testKafka,
  testLogger,
  uniqueName,
} from "./harness.ts";
import { committedRecords, readAllCommitted, type TestKafka } from "./test_kafka.ts";

const ENTRY = "scripts/dlq_replayer.ts";
const dec = new TextDecoder();

/** A dead letter of the test's DLQ; its time as ISO text. */
type Seed = Omit<DeadLetterSeed, "failedAt"> & { failedAt: string };

interface TestDlq {
  dlq: string;
  /** The records' original topic, and a retry topic some of them go back to. */
  origin: string;
  retry: string;
}

/** Creates the test's DLQ (2 partitions) and target topics, and writes `seeds` in one transaction. */
async function seedDlq(
  kafka: TestKafka,
  name: string,
  seeds: (t: TestDlq) => Seed[],
): Promise<TestDlq> {
  const t: TestDlq = {
    dlq: uniqueName(`${name}`) + "-dlq",
    origin: uniqueName(`${name}-orders`),
    retry: uniqueName(`${name}-orders-retry-1`),
  };
  await ensureTopicsAt(testConnection("dlq-topics"), [
    { ...renamed(TOPICS.ordersDlq, t.dlq), partitions: 2 },
    { ...renamed(TOPICS.orders, t.origin), partitions: 1 },
    { ...renamed(TOPICS.orders, t.retry), partitions: 1 },
  ]);
  // As the retry path leaves them: four attempts, a retry header, a trace header to keep.
  await writeDeadLetters(
    kafka,
    t.dlq,
    seeds(t).map((s, i) => ({
      ...s,
      failedAt: new Date(s.failedAt),
      attempts: 4,
      headers: { "retry.attempt": "3", "trace-id": `trace-${i}` },
    })),
  );
  return t;
}

const NOT_JSON_VALUES = ["{bad", "nope", "["];
/** The rule `list` shows for them, and their parser's words as its samples. */
const NOT_JSON_RULE = "not JSON";
const notJsonSamples = () => NOT_JSON_VALUES.map((v) => notJson(v).reason.slice(10)).sort();

/**
 * Five dead letters: three "not JSON", each its own parser message
 * (partition 0), two bad quantities on different lines with different
 * values (partition 1, to the retry topic).
 */
function fiveSeeds(t: TestDlq): Seed[] {
  const common = { originalTopic: t.origin };
  const [a, b, c] = NOT_JSON_VALUES;
  return [
    {
      ...common,
      partition: 0,
      key: "ord-1",
      value: a,
      failure: notJson(a),
      failedAt: "2026-01-02T00:00:00Z",
    },
    {
      ...common,
      partition: 0,
      key: "ord-2",
      value: b,
      failure: notJson(b),
      failedAt: "2026-01-01T00:00:00Z",
    },
    {
      ...common,
      partition: 0,
      key: "ord-3",
      value: c,
      failure: notJson(c),
      failedAt: "2026-01-04T00:00:00Z",
    },
    {
      ...common,
      partition: 1,
      key: "ord-4",
      ...badQuantity("ord-4", 0, 0),
      failedAt: "2026-01-03T00:00:00Z",
      replayTopic: t.retry,
    },
    {
      ...common,
      partition: 1,
      key: "ord-5",
      ...badQuantity("ord-5", 1, -1),
      failedAt: "2026-01-05T00:00:00Z",
      replayTopic: t.retry,
    },
  ];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The last stdout line, parsed: the summary (replay) or the listing (list --json). */
  json(): Record<string, unknown>;
}

/**
 * Runs the replayer to its end under the catalog's permission flags (as
 * tests/pipeline.ts `startScript` does), keeping stdout apart from the
 * logs on stderr.
 */
async function replayer(args: string[]): Promise<Run> {
  const script = scriptByEntry(ENTRY);
  assert.ok(script, `${ENTRY} is in scripts/services.ts`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...script.permissions, ENTRY, ...args, "--brokers", testBrokers().join(",")],
    env: { NO_COLOR: "1", LOG_LEVEL: "info" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = dec.decode(out.stdout);
  const stderr = dec.decode(out.stderr);
  return {
    code: out.code,
    stdout,
    stderr,
    json() {
      const last = stdout.trimEnd().split("\n").at(-1) ?? "";
      try {
        return JSON.parse(last);
      } catch {
        throw new Error(`stdout does not end with JSON (exit ${out.code}):\n${stdout}\n${stderr}`);
      }
    },
  };
}

function ok(run: Run): Run {
  assert.equal(run.code, 0, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return run;
}

function headerText(headers: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map((
      [k, v],
    ) => [k, typeof v === "string" ? v : dec.decode(v as Uint8Array)]),
  );
}

/** The read_committed end offsets of `topic`, summed over its partitions. */
async function highWatermark(topic: string): Promise<number> {
  const admin = testAdmin("dlq-offsets");
  try {
    return (await topicOffsets(admin, topic)).reduce((n, p) => n + p.high, 0);
  } finally {
    await admin.close();
  }
}

async function topicExists(topic: string): Promise<boolean> {
  const admin = testAdmin("dlq-topics");
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.close();
  }
}

/** A test on a DLQ of its own, seeded with `seeds` (prefix: the test's topic names). */
function dlqTest(
  name: string,
  prefix: string,
  seeds: (t: TestDlq) => Seed[],
  body: (t: TestDlq, kafka: TestKafka) => Promise<void>,
): void {
  Deno.test(name, integration, async () => {
    const kafka = testKafka(prefix);
    await body(await seedDlq(kafka, prefix, seeds), kafka);
  });
}

dlqTest(
  "list groups a DLQ by rule and field, not by value, with counts, samples, oldest, newest, stage and class",
  "dlq-list",
  fiveSeeds,
  async (t) => {
    const listing = ok(await replayer(["list", "--topic", t.dlq, "--json"])).json();
    assert.equal(listing.topic, t.dlq);
    assert.equal(listing.total, 5);
    assert.equal(listing.replayed, 0);
    assert.deepEqual(listing.groups, [
      {
        rule: NOT_JSON_RULE,
        count: 3,
        replayed: 0,
        oldest: "2026-01-01T00:00:00.000Z",
        newest: "2026-01-04T00:00:00.000Z",
        samples: notJsonSamples(),
        distinctValues: 3,
        allValidation: false,
        stages: ["router"],
        errorClasses: ["unparseable"],
        replayTopics: [t.origin],
      },
      {
        rule: QUANTITY_RULE,
        count: 2,
        replayed: 0,
        oldest: "2026-01-03T00:00:00.000Z",
        newest: "2026-01-05T00:00:00.000Z",
        samples: ["-1", "0"],
        distinctValues: 2,
        allValidation: true,
        stages: ["inventory_orders_producer"],
        errorClasses: ["validation"],
        replayTopics: [t.retry],
      },
    ]);
    const text = ok(await replayer(["list", "--topic", t.dlq])).stdout;
    assert.match(text, new RegExp(`^${t.dlq}: 5 records, 2 rules, 0 already replayed$`, "m"));
    assert.match(
      text,
      /^ +3 +0 +2026-01-01T00:00:00\.000Z +2026-01-04T00:00:00\.000Z +router +unparseable +\S+ +not JSON {2}\(.+\)$/m,
    );
    assert.match(
      text,
      /^ +2 +0 +2026-01-03T00:00:00\.000Z +2026-01-05T00:00:00\.000Z +inventory_orders_producer +validation +\S+ +items\[\]\.quantity: must be a positive whole number {2}\(-1, 0\)$/m,
    );
  },
);

dlqTest(
  "show prints a record's headers and its JSON value pretty-printed",
  "dlq-show",
  fiveSeeds,
  async (t) => {
    // Partition 1 holds ord-4 at offset 0 and ord-5 at offset 1.
    const out = ok(await replayer(["show", "1/1", "--topic", t.dlq])).stdout;
    assert.match(out, new RegExp(`^${t.dlq}/1/1$`, "m"));
    assert.match(out, /^ {2}key +ord-5$/m);
    assert.match(out, /^ {2}replayed +no$/m);
    assert.match(
      out,
      /^ {2}dlq\.reason: +items\[1\]\.quantity: must be a positive whole number, got -1$/m,
    );
    assert.match(out, /^ {2}dlq\.failed\.at: +2026-01-05T00:00:00\.000Z$/m);
    assert.match(out, new RegExp(`^ {2}dlq\\.replay\\.topic: +${t.retry}$`, "m"));
    assert.match(out, /^value \(json, \d+ bytes\):\n\{\n {2}"orderId": "ord-5",/m);
    // The replay.of form is accepted too; a record that is not there is one error line.
    const shown = ok(await replayer(["show", `${t.dlq}/0/2`, "--json"])).json();
    assert.equal(shown.key, "ord-3");
    assert.deepEqual((shown.value as Record<string, unknown>).kind, "text");
    const missing = await replayer(["show", "0/99", "--topic", t.dlq]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /"no such record in the dead-letter topic"/);
  },
);

dlqTest(
  "replay of a group that all failed validation is refused in one line; forced, it goes once however often it runs",
  "dlq-replay",
  fiveSeeds,
  async (t, kafka) => {
    // Unchanged, they would be dead-lettered again: refused, nothing sent.
    const refused = await replayer(["replay", "--topic", t.dlq, "--rule", QUANTITY_RULE]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.deepEqual([refused.json().refused, refused.json().replayed], [true, 0]);
    const said = refused.stderr.split("\n").filter((l) => l.includes("failed validation"));
    assert.equal(said.length, 1, refused.stderr);
    assert.match(
      said[0],
      /all 2 records to replay failed validation \(items\[\]\.quantity: must be a positive whole number\): replayed unchanged, they would be dead-lettered again; fix the validator \(or the orders\) first, or add --force/,
    );
    assert.equal(await highWatermark(t.retry), 0, "a refused replay sends nothing");
    // Forced (say, after the validator was fixed), by the rule as list prints it.
    const first = ok(
      await replayer(["replay", "--topic", t.dlq, "--rule", QUANTITY_RULE, "--force"]),
    ).json();
    assert.equal(first.matched, 2);
    assert.equal(first.replayed, 2);
    assert.equal(first.alreadyReplayed, 0);
    assert.deepEqual(first.to, { [t.retry]: 2 });
    const second = ok(
      await replayer(["replay", "--topic", t.dlq, "--reason", "quantity", "--force"]),
    ).json();
    assert.equal(second.matched, 2);
    assert.equal(second.replayed, 0, "the ledger says both were replayed");
    assert.equal(second.alreadyReplayed, 2);

    const replayed = await readAllCommitted(kafka, t.retry);
    assert.equal(replayed.length, 2, "each record exactly once, after two runs");
    assert.deepEqual(replayed.map((m) => dec.decode(m.key!)).sort(), ["ord-4", "ord-5"]);
    for (const m of replayed) {
      const h = headerText(m.headers);
      assert.deepEqual(
        Object.keys(h).filter((k) => k.startsWith("dlq.") || k.startsWith("retry.")),
        [],
        "no dlq.* or retry.* headers: a fresh attempt count",
      );
      assert.match(h["replay.of"], new RegExp(`^${t.dlq}/1/[01]$`));
      assert.ok(!Number.isNaN(Date.parse(h["replay.at"])));
      assert.equal(h["trace-id"].startsWith("trace-"), true, "other headers are kept");
      assert.equal(JSON.parse(dec.decode(m.value!)).orderId, dec.decode(m.key!));
    }
    assert.equal(await highWatermark(t.origin), 0, "nothing went to the original topic");
    // The ledger is compacted, so readAllCommitted's keyless end markers cannot go there.
    // The replayer has exited, its transactions decided: one read to the end
    // offsets (the last stable ones) is the whole ledger.
    const ledger = await (await committedRecords(kafka, `${t.dlq}-replayed`))();
    assert.deepEqual(ledger.map((m) => dec.decode(m.key!)).sort(), ["1/0", "1/1"]);
    assert.equal(JSON.parse(dec.decode(ledger[0].value!)).to, t.retry);

    const listing = ok(await replayer(["list", "--topic", t.dlq, "--json"])).json();
    assert.equal(listing.replayed, 2);
  },
);

dlqTest(
  "--dry-run prints what would go and writes nothing",
  "dlq-dry",
  fiveSeeds,
  async (t) => {
    const all = ok(await replayer(["replay", "--topic", t.dlq, "--all", "--dry-run"]));
    const lines = all.stdout.trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("would replay ")).length, 5);
    assert.ok(
      lines.some((l) => l.startsWith(`would replay ${t.dlq}/1/0 -> ${t.retry}  key=ord-4`)),
    );
    const summary = all.json();
    assert.equal(summary.dryRun, true);
    assert.equal(summary.replayed, 0);
    assert.deepEqual(summary.to, { [t.origin]: 3, [t.retry]: 2 });
    // A time range: failed at or after Jan 2, before Jan 4.
    const range = ok(
      await replayer([
        "replay",
        "--topic",
        t.dlq,
        "--since",
        "2026-01-02T00:00:00Z",
        "--until",
        "2026-01-04T00:00:00Z",
        "--dry-run",
      ]),
    );
    assert.deepEqual(
      range.stdout.split("\n").filter((l) => l.startsWith("would")).map((l) =>
        /key=(\S+)/.exec(l)?.[1]
      ),
      ["ord-1", "ord-4"],
    );
    assert.equal(await highWatermark(t.origin), 0);
    assert.equal(await highWatermark(t.retry), 0);
    assert.equal(await topicExists(`${t.dlq}-replayed`), false, "not even the ledger topic");
  },
);

Deno.test("a replay with no selection is refused with one clear line", integration, async () => {
  const run = await replayer(["replay", "--topic", "never-read-dlq"]);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  assert.match(
    run.stderr.split("\n")[0],
    /^dlq_replayer: replay needs a selection: --all, or --rule, --reason, --order-id, --since, --until/,
  );
});

dlqTest(
  "replay by order id matches the original key or the value's orderId",
  "dlq-order",
  (t) => [
    ...fiveSeeds(t),
    // Keyed by SKU (as inventory records are), the order id only in the value.
    {
      originalTopic: t.origin,
      partition: 0,
      key: "SKU-9",
      ...badQuantity("ord-2", 0, 0),
      failedAt: "2026-01-06T00:00:00Z",
    },
  ],
  async (t, kafka) => {
    const summary = ok(await replayer(["replay", "--topic", t.dlq, "--order-id", "ord-2"])).json();
    assert.equal(summary.replayed, 2);
    const back = await readAllCommitted(kafka, t.origin);
    assert.deepEqual(back.map((m) => dec.decode(m.key!)).sort(), ["SKU-9", "ord-2"]);
    assert.deepEqual(back.map((m) => headerText(m.headers)["replay.of"]).sort(), [
      `${t.dlq}/0/1`,
      `${t.dlq}/0/3`,
    ]);
  },
);

dlqTest(
  "--rate caps records per second (checked loosely)",
  "dlq-rate",
  (t) =>
    Array.from({ length: 6 }, (_, i) => ({
      originalTopic: t.origin,
      partition: i % 2,
      key: `ord-${i}`,
      value: JSON.stringify({ orderId: `ord-${i}` }),
      failure: { errorClass: "unparseable", reason: "not JSON", stage: "router" },
      failedAt: "2026-01-01T00:00:00Z",
    })),
  async (t, kafka) => {
    // 6 records at 5/s: the last may not go before 1 s after the first.
    const summary = ok(await replayer(["replay", "--topic", t.dlq, "--all", "--rate", "5"])).json();
    assert.equal(summary.replayed, 6);
    // The replay committed before the process exited: one complete read sees it all.
    const back = await readAllCommitted(kafka, t.origin);
    assert.equal(back.length, 6);
    const times = back.map((m) => Date.parse(headerText(m.headers)["replay.at"])).sort((a, b) =>
      a - b
    );
    assert.ok(
      times.at(-1)! - times[0] >= 800,
      `6 records at 5/s took only ${times.at(-1)! - times[0]} ms`,
    );
  },
);

Deno.test(
  "an Avro dead letter is decoded through the registry by show and matched by --order-id",
  integration,
  async () => {
    const kafka = testKafka("dlq-avro");
    const registry = await startRegistry({
      connection: testConnection("dlq-avro-registry"),
      topic: uniqueName("_schemas"),
      port: 0,
      log: testLogger("registry"),
    });
    try {
      const schema = {
        type: "record",
        name: "StockMove",
        namespace: "test.dlq",
        fields: [{ name: "orderId", type: "string" }, { name: "sku", type: "string" }],
      } as unknown as AvroRecordSchema;
      const codec = await createAvroCodec({
        registry: { url: registry.url },
        subject: uniqueName("dlq-avro") + "-value",
        schemas: [schema],
      });
      const avro = new Uint8Array(codec.encode({ orderId: "ord-42", sku: "SKU-7" }));
      const t = await seedDlq(kafka, "dlq-avro", (t) => [{
        originalTopic: t.origin,
        partition: 0,
        key: "SKU-7",
        value: avro,
        failure: { errorClass: "database", reason: "database is locked", stage: "inventory" },
        failedAt: "2026-01-01T00:00:00Z",
      }]);
      const raw = ok(await replayer(["show", "0/0", "--topic", t.dlq])).stdout;
      assert.match(
        raw,
        new RegExp(`^value \\(avro, schema id ${codec.schemaId}, \\d+ bytes\\):$`, "m"),
      );
      assert.match(raw, /^\(not decoded: give --registry-url\)$/m);
      assert.match(raw, /^00 00 00 /m);
      const decoded = ok(
        await replayer(["show", "0/0", "--topic", t.dlq, "--registry-url", registry.url]),
      ).stdout;
      assert.match(decoded, /^\{\n {2}"orderId": "ord-42",\n {2}"sku": "SKU-7"\n\}$/m);
      // Keyed by SKU: only the registry can tell the order id.
      const blind = ok(
        await replayer(["replay", "--topic", t.dlq, "--order-id", "ord-42", "--dry-run"]),
      ).json();
      assert.equal(blind.matched, 0);
      const seen = ok(
        await replayer([
          "replay",
          "--topic",
          t.dlq,
          "--order-id",
          "ord-42",
          "--registry-url",
          registry.url,
        ]),
      ).json();
      assert.equal(seen.replayed, 1);
      const [back] = await readAllCommitted(kafka, t.origin);
      assert.deepEqual(new Uint8Array(back.value!), avro, "the original bytes, unchanged");
    } finally {
      await registry.close();
    }
  },
);
