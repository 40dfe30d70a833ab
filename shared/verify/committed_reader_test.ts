import assert from "node:assert/strict";
import {
  CommittedReaderError,
  parseReaderOutput,
  READER_SOURCE,
  readerArgs,
  readerFailure,
} from "./committed_reader.ts";

Deno.test("the reader's lines become records with their bytes, and positions for the next read", () => {
  const out = [
    '{"topic":"t","partition":1,"offset":7,"timestamp":1700000000123,"key":"YQ==","value":null,' +
    '"headers":[{"key":"dlq.reason","value":"eCJ5"}]}',
    "",
    '{"positions":[{"topic":"t","partition":0,"offset":0},{"topic":"t","partition":1,"offset":9}]}',
  ].join("\n");
  const { records, positions } = parseReaderOutput(out);
  assert.equal(records.length, 1);
  assert.deepEqual(records[0].key, new TextEncoder().encode("a"));
  assert.equal(records[0].value, null);
  assert.equal(records[0].timestamp, 1700000000123);
  assert.equal(new TextDecoder().decode(records[0].headers[0].value!), 'x"y');
  assert.deepEqual(positions[1], { topic: "t", partition: 1, offset: 9 });
});

Deno.test("output without the closing positions line, or with noise, is an error, not a short read", () => {
  assert.throws(
    () =>
      parseReaderOutput(
        '{"topic":"t","partition":0,"offset":0,"key":null,"value":null,"headers":[]}\n',
      ),
    CommittedReaderError,
  );
  assert.throws(() => parseReaderOutput("SLF4J: something\n"), /not JSON/);
});

Deno.test("java arguments: source-file mode on the classpath, topics, resume offsets, properties", () => {
  const args = readerArgs(
    {
      classpath: "/libs/*",
      brokers: ["a:1", "b:2"],
      topics: ["x", "y"],
      propertiesFile: "/c.properties",
      timeoutMs: 5000,
    },
    [{ topic: "x", partition: 2, offset: 40 }],
  );
  const at = args.indexOf("-cp");
  assert.equal(args[at + 1], "/libs/*");
  assert.equal(args[at + 2], READER_SOURCE);
  assert.ok(READER_SOURCE.endsWith("scripts/verify/CommittedReader.java"));
  assert.deepEqual(args.slice(at + 3), [
    "--bootstrap-server",
    "a:1,b:2",
    "--topic",
    "x",
    "--topic",
    "y",
    "--start",
    "x:2:40",
    "--properties",
    "/c.properties",
    "--timeout-ms",
    "5000",
  ]);
});

Deno.test("a failure says the reader's own error line, else the end of stderr", () => {
  assert.equal(
    readerFailure("log noise\nerror: timed out after 5 ms\n", 1),
    "timed out after 5 ms",
  );
  assert.match(
    readerFailure("a\nb\nException in thread main\n", 1),
    /exited with code 1: .*Exception/,
  );
});

Deno.test("a missing topic names the flags that set the topics", () => {
  assert.match(
    readerFailure("error: no such topic: inventory_orders\n", 1),
    /no such topic: inventory_orders \(check --inventory-topic/,
  );
});
