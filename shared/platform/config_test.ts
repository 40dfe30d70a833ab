import assert from "node:assert/strict";
import {
  ConfigError,
  defineConfig,
  flagName,
  type FlagSpecs,
  helpText,
  parseConfig,
} from "./config.ts";

/** An environment lookup backed by a plain object. */
function envOf(vars: Record<string, string> = {}): (name: string) => string | undefined {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}
const noEnv = envOf();

/** True only when A and B are the same type (compile-time check). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

/** The ConfigError that parsing `args` against SPECS, with no environment, throws. */
function argsError(args: string[]): ConfigError {
  return configError(() => parseConfig(SPECS, args, noEnv));
}

/**
 * Asserts that parsing `args` fails on `flag`, with a message equal to
 * `message` (a string) or matching it (a pattern), when given.
 */
function assertArgsRefused(args: string[], flag: string, message?: string | RegExp): void {
  const err = argsError(args);
  assert.equal(err.flag, flag, args.join(" "));
  if (typeof message === "string") assert.equal(err.message, message);
  else if (message) assert.match(err.message, message);
}

/** Runs `fn`, asserts it throws a ConfigError, and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.equal(err.name, "ConfigError");
    return err;
  }
  assert.fail("expected a ConfigError, nothing was thrown");
}

const SPECS = {
  name: { type: "string", env: "APP_NAME", short: "n", description: "service name" },
  batchSize: {
    type: "number",
    env: "BATCH_SIZE",
    integer: true,
    min: 1,
    max: 1000,
    default: 500,
    description: "orders per transaction",
  },
  ratio: { type: "number", description: "a fraction" },
  verbose: { type: "boolean", env: "VERBOSE", short: "v", description: "log more" },
  color: { type: "boolean", env: "COLOR", default: true, description: "colour the output" },
  topics: { type: "list", env: "TOPICS", default: ["orders"], description: "topics to read" },
  format: {
    type: "enum",
    choices: ["json", "avro", "text"],
    env: "FORMAT",
    default: "json",
    description: "output format",
  },
  password: {
    type: "string",
    env: "APP_PASSWORD",
    secret: true,
    default: "hunter2",
    description: "the password",
  },
} as const satisfies FlagSpecs;

// ---------------------------------------------------------------- flagName

Deno.test("flagName kebab-cases camelCase keys", () => {
  assert.equal(flagName("brokers"), "brokers");
  assert.equal(flagName("transactionSize"), "transaction-size");
  assert.equal(flagName("sslCaFile"), "ssl-ca-file");
  assert.equal(flagName("maxInFlightRequests"), "max-in-flight-requests");
});

// ---------------------------------------------------------------- defaults and types

Deno.test("parseConfig with no flags and no env gives the defaults", () => {
  const cfg = parseConfig(SPECS, [], noEnv);
  assert.deepEqual(cfg, {
    name: undefined,
    batchSize: 500,
    ratio: undefined,
    verbose: false,
    color: true,
    topics: ["orders"],
    format: "json",
    password: "hunter2",
  });
});

Deno.test("parseConfig result is typed from the spec", () => {
  const cfg = parseConfig(SPECS, ["--name", "svc", "--ratio", "0.5"], noEnv);
  // Values with a default are never undefined…
  const batchSize: number = cfg.batchSize;
  const topics: string[] = cfg.topics;
  const color: boolean = cfg.color;
  const verbose: boolean = cfg.verbose;
  // …an enum is the union of its choices…
  const format: "json" | "avro" | "text" = cfg.format;
  // …and a flag with neither default nor `required` may be missing.
  const name: string | undefined = cfg.name;
  const ratio: number | undefined = cfg.ratio;
  const _exact: [
    Equal<typeof cfg.batchSize, number>,
    Equal<typeof cfg.ratio, number | undefined>,
    Equal<typeof cfg.name, string | undefined>,
    Equal<typeof cfg.verbose, boolean>,
    Equal<typeof cfg.topics, string[]>,
    Equal<typeof cfg.format, "json" | "avro" | "text">,
  ] = [true, true, true, true, true, true];
  assert.deepEqual([batchSize, topics, color, verbose, format, name, ratio], [
    500,
    ["orders"],
    true,
    false,
    "json",
    "svc",
    0.5,
  ]);
});

Deno.test("a required flag is typed as always present", () => {
  const cfg = parseConfig(
    { topic: { type: "string", required: true, description: "topic" } },
    ["--topic", "orders"],
    noEnv,
  );
  const topic: string = cfg.topic;
  const _exact: Equal<typeof cfg.topic, string> = true;
  assert.equal(topic, "orders");
});

Deno.test("a list default is copied, so mutating the result leaves the spec alone", () => {
  const specs = { topics: { type: "list", default: ["a", "b"], description: "topics" } } as const;
  const first = parseConfig(specs, [], noEnv);
  first.topics.push("c");
  assert.deepEqual(parseConfig(specs, [], noEnv).topics, ["a", "b"]);
  assert.deepEqual(specs.topics.default, ["a", "b"]);
});

// ---------------------------------------------------------------- string

Deno.test("string flag: --flag value, --flag=value and the short alias", () => {
  assert.equal(parseConfig(SPECS, ["--name", "a"], noEnv).name, "a");
  assert.equal(parseConfig(SPECS, ["--name=b"], noEnv).name, "b");
  assert.equal(parseConfig(SPECS, ["-n", "c"], noEnv).name, "c");
  assert.equal(parseConfig(SPECS, [], envOf({ APP_NAME: "d" })).name, "d");
});

Deno.test("string flag repeated: the last one wins", () => {
  assert.equal(parseConfig(SPECS, ["--name", "a", "--name", "b"], noEnv).name, "b");
});

Deno.test("string flag without its value is a ConfigError naming the flag, not its alias", () => {
  for (const args of [["--name"], ["-n"]]) {
    assertArgsRefused(args, "name", /--name/);
  }
  assertArgsRefused(["--ratio"], "ratio");
});

Deno.test("a flag value starting with a dash needs --flag=value", () => {
  assertArgsRefused(["--ratio", "-5"], "ratio", /--ratio=-/);
  assert.equal(parseConfig(SPECS, ["--ratio=-5"], noEnv).ratio, -5);
});

// ---------------------------------------------------------------- number

Deno.test("number flag parses integers and decimals", () => {
  assert.equal(parseConfig(SPECS, ["--batch-size", "100"], noEnv).batchSize, 100);
  assert.equal(parseConfig(SPECS, ["--batch-size=1"], noEnv).batchSize, 1);
  assert.equal(parseConfig(SPECS, ["--batch-size", "1000"], noEnv).batchSize, 1000);
  assert.equal(parseConfig(SPECS, ["--ratio", "0.25"], noEnv).ratio, 0.25);
  assert.equal(parseConfig(SPECS, ["--ratio=-1.5"], noEnv).ratio, -1.5);
  assert.equal(parseConfig(SPECS, [], envOf({ BATCH_SIZE: "42" })).batchSize, 42);
});

Deno.test("number flag rejects text, empty and infinite values, naming the flag", () => {
  for (const bad of ["abc", "", " ", "12abc", "Infinity", "NaN"]) {
    assertArgsRefused([`--ratio=${bad}`], "ratio", `--ratio must be a number, got "${bad}"`);
  }
});

Deno.test("number flag with integer: true rejects fractions", () => {
  assertArgsRefused(
    ["--batch-size", "2.5"],
    "batchSize",
    `--batch-size must be a whole number, got "2.5"`,
  );
});

Deno.test("number flag enforces min and max, inclusive", () => {
  assertArgsRefused(["--batch-size", "0"], "batchSize", "--batch-size must be at least 1, got 0");
  assertArgsRefused(
    ["--batch-size", "1001"],
    "batchSize",
    "--batch-size must be at most 1000, got 1001",
  );
});

Deno.test("a bad number from the environment names the env var and the flag", () => {
  const err = configError(() => parseConfig(SPECS, [], envOf({ BATCH_SIZE: "lots" })));
  assert.equal(err.flag, "batchSize");
  assert.equal(err.message, `BATCH_SIZE (--batch-size) must be a number, got "lots"`);
  const low = configError(() => parseConfig(SPECS, [], envOf({ BATCH_SIZE: "-3" })));
  assert.equal(low.message, "BATCH_SIZE (--batch-size) must be at least 1, got -3");
});

Deno.test("a bad env var is ignored when the flag is given", () => {
  const cfg = parseConfig(SPECS, ["--batch-size", "7"], envOf({ BATCH_SIZE: "lots" }));
  assert.equal(cfg.batchSize, 7);
});

// ---------------------------------------------------------------- boolean

Deno.test("boolean flag: present is true, absent is its default or false", () => {
  assert.equal(parseConfig(SPECS, ["--verbose"], noEnv).verbose, true);
  assert.equal(parseConfig(SPECS, ["-v"], noEnv).verbose, true);
  assert.equal(parseConfig(SPECS, [], noEnv).verbose, false);
  assert.equal(parseConfig(SPECS, [], noEnv).color, true);
});

Deno.test("boolean flag: --no-x turns it off, over its default and its env var", () => {
  assert.equal(parseConfig(SPECS, ["--no-color"], noEnv).color, false);
  assert.equal(parseConfig(SPECS, ["--no-verbose"], envOf({ VERBOSE: "true" })).verbose, false);
  assert.equal(parseConfig(SPECS, ["--no-color"], envOf({ COLOR: "1" })).color, false);
});

Deno.test("boolean flag takes no inline value", () => {
  assertArgsRefused(["--verbose=false"], "verbose", /--verbose/);
});

Deno.test("boolean env var: true/false, 1/0, yes/no, on/off, any case, empty is false", () => {
  const truthy = ["true", "TRUE", "True", "1", "yes", "on", " true "];
  const falsy = ["false", "FALSE", "0", "no", "off", ""];
  for (const v of truthy) {
    assert.equal(parseConfig(SPECS, [], envOf({ VERBOSE: v })).verbose, true, `VERBOSE=${v}`);
  }
  for (const v of falsy) {
    assert.equal(parseConfig(SPECS, [], envOf({ COLOR: v })).color, false, `COLOR=${v}`);
  }
});

Deno.test("a bad boolean env var names the env var and the flag", () => {
  const err = configError(() => parseConfig(SPECS, [], envOf({ VERBOSE: "maybe" })));
  assert.equal(err.flag, "verbose");
  assert.equal(err.message, `VERBOSE (--verbose) must be true or false, got "maybe"`);
});

Deno.test("boolean flag wins over its env var", () => {
  assert.equal(parseConfig(SPECS, ["--verbose"], envOf({ VERBOSE: "false" })).verbose, true);
});

// ---------------------------------------------------------------- list

Deno.test("list flag: comma-separated, repeated, or both; blanks dropped", () => {
  assert.deepEqual(parseConfig(SPECS, ["--topics", "a,b"], noEnv).topics, ["a", "b"]);
  assert.deepEqual(
    parseConfig(SPECS, ["--topics", "a", "--topics", "b"], noEnv).topics,
    ["a", "b"],
  );
  assert.deepEqual(
    parseConfig(SPECS, ["--topics", "a, b", "--topics=c,,", "--topics", " d "], noEnv).topics,
    ["a", "b", "c", "d"],
  );
});

Deno.test("list from the environment is comma-separated and trimmed", () => {
  assert.deepEqual(parseConfig(SPECS, [], envOf({ TOPICS: "x, y ,z" })).topics, ["x", "y", "z"]);
});

Deno.test("list flag replaces, not extends, the env var and the default", () => {
  const cfg = parseConfig(SPECS, ["--topics", "f"], envOf({ TOPICS: "e1,e2" }));
  assert.deepEqual(cfg.topics, ["f"]);
});

// ---------------------------------------------------------------- enum

Deno.test("enum flag accepts each of its choices", () => {
  for (const choice of SPECS.format.choices) {
    assert.equal(parseConfig(SPECS, ["--format", choice], noEnv).format, choice);
  }
  assert.equal(parseConfig(SPECS, [], envOf({ FORMAT: "avro" })).format, "avro");
});

Deno.test("enum flag rejects other values and lists the choices", () => {
  assertArgsRefused(
    ["--format", "xml"],
    "format",
    `--format must be one of json, avro, text, got "xml"`,
  );
  // Case matters: choices are exact.
  argsError(["--format", "JSON"]);
});

Deno.test("a bad enum from the environment names the env var", () => {
  const err = configError(() => parseConfig(SPECS, [], envOf({ FORMAT: "yaml" })));
  assert.equal(err.flag, "format");
  assert.equal(err.message, `FORMAT (--format) must be one of json, avro, text, got "yaml"`);
});

// ---------------------------------------------------------------- precedence

Deno.test("precedence: flag over env over default", () => {
  assert.equal(parseConfig(SPECS, [], noEnv).batchSize, 500);
  assert.equal(parseConfig(SPECS, [], envOf({ BATCH_SIZE: "20" })).batchSize, 20);
  assert.equal(
    parseConfig(SPECS, ["--batch-size", "30"], envOf({ BATCH_SIZE: "20" })).batchSize,
    30,
  );
  assert.equal(parseConfig(SPECS, [], envOf({ FORMAT: "text" })).format, "text");
  assert.equal(
    parseConfig(SPECS, ["--format", "avro"], envOf({ FORMAT: "text" })).format,
    "avro",
  );
});

Deno.test("an env var set to empty still counts as set (it is not the default)", () => {
  assert.equal(parseConfig(SPECS, [], envOf({ APP_NAME: "" })).name, "");
  assert.deepEqual(parseConfig(SPECS, [], envOf({ TOPICS: "" })).topics, []);
});

Deno.test("only the env var a flag declares is read", () => {
  const asked: string[] = [];
  parseConfig(SPECS, [], (name) => {
    asked.push(name);
    return undefined;
  });
  assert.deepEqual(
    [...new Set(asked)].sort(),
    ["APP_NAME", "APP_PASSWORD", "BATCH_SIZE", "COLOR", "FORMAT", "TOPICS", "VERBOSE"],
  );
});

// ---------------------------------------------------------------- required

const REQUIRED = {
  topic: { type: "string", env: "TOPIC", required: true, description: "topic to read" },
  count: { type: "number", required: true, description: "how many" },
  mode: {
    type: "enum",
    choices: ["a", "b"],
    env: "MODE",
    required: true,
    description: "the mode",
  },
  hosts: { type: "list", env: "HOSTS", required: true, description: "hosts" },
} as const satisfies FlagSpecs;

Deno.test("a missing required flag is a ConfigError naming the flag and its env var", () => {
  const err = configError(() => parseConfig(REQUIRED, [], noEnv));
  assert.equal(err.flag, "topic");
  assert.equal(err.message, "--topic (or TOPIC) is required: topic to read");
});

Deno.test("a missing required flag without env var names only the flag", () => {
  const err = configError(() => parseConfig(REQUIRED, ["--topic", "t"], noEnv));
  assert.equal(err.flag, "count");
  assert.equal(err.message, "--count is required: how many");
});

Deno.test("required enum and list flags are checked too", () => {
  const mode = configError(() => parseConfig(REQUIRED, ["--topic", "t", "--count", "1"], noEnv));
  assert.equal(mode.flag, "mode");
  assert.match(mode.message, /^--mode \(or MODE\) is required/);
  const hosts = configError(() =>
    parseConfig(REQUIRED, ["--topic", "t", "--count", "1", "--mode", "a"], noEnv)
  );
  assert.equal(hosts.flag, "hosts");
  assert.match(hosts.message, /^--hosts \(or HOSTS\) is required/);
});

Deno.test("required flags are satisfied by flags or env vars", () => {
  const cfg = parseConfig(
    REQUIRED,
    ["--count", "3", "--hosts", "h1,h2"],
    envOf({ TOPIC: "orders", MODE: "b" }),
  );
  const _exact: [
    Equal<typeof cfg.topic, string>,
    Equal<typeof cfg.count, number>,
    Equal<typeof cfg.mode, "a" | "b">,
    Equal<typeof cfg.hosts, string[]>,
  ] = [true, true, true, true];
  assert.deepEqual(cfg, { topic: "orders", count: 3, mode: "b", hosts: ["h1", "h2"] });
});

// ---------------------------------------------------------------- unknown and stray arguments

Deno.test("an unknown flag is a ConfigError naming it", () => {
  assertArgsRefused(["--nope"], "--nope", /--nope/);
  assertArgsRefused(["-x"], "-x");
});

Deno.test("camelCase spelling of a flag is unknown: only kebab-case is accepted", () => {
  assertArgsRefused(["--batchSize", "5"], "--batchSize");
});

Deno.test("--no-x exists only for boolean flags", () => {
  assertArgsRefused(["--no-name"], "--no-name");
});

Deno.test("a positional argument is a ConfigError", () => {
  const err = argsError(["stray"]);
  assert.match(err.message, /stray/);
});

// ---------------------------------------------------------------- help

Deno.test("helpText lists every flag with its type, env var, default and choices", () => {
  const help = helpText({ name: "demo", summary: "Does a demo." }, SPECS);
  const lines = help.split("\n");
  assert.equal(lines[0], "demo: Does a demo.");
  assert.ok(lines.includes("Usage: demo [flags]"));
  const row = (flag: string) => {
    const found = lines.filter((l) => l.startsWith(`  ${flag} `) || l.startsWith(`  ${flag},`));
    assert.equal(found.length, 1, `one help row for ${flag}:\n${help}`);
    return found[0];
  };
  for (const [key, spec] of Object.entries(SPECS as FlagSpecs)) {
    const line = row(`--${flagName(key)}`);
    assert.ok(line.includes(spec.description), `${key} description`);
    if (spec.env) assert.ok(line.endsWith(`  env ${spec.env}`), `${key} env: ${line}`);
  }
  assert.match(row("--name"), /^ {2}--name <string>, -n +service name {2}env APP_NAME$/);
  assert.match(row("--batch-size"), /<number>.*\[default: 500\] {2}env BATCH_SIZE$/);
  assert.doesNotMatch(row("--ratio"), /default|env/);
  assert.match(row("--verbose"), /^ {2}--verbose, -v +log more {2}env VERBOSE$/);
  assert.match(row("--color"), /\[default: true\]/);
  assert.match(row("--topics"), /<list>.*\[default: orders\] {2}env TOPICS$/);
  assert.match(row("--format"), /<enum>.*output format \(json\|avro\|text\) \[default: json\]/);
  assert.match(row("--help, -h"), /show this help and exit/);
});

Deno.test("helpText hides a secret's default but still names its env var", () => {
  const help = helpText({ name: "demo", summary: "s" }, SPECS);
  assert.ok(!help.includes("hunter2"), help);
  const line = help.split("\n").find((l) => l.includes("--password"));
  assert.ok(line);
  assert.ok(line.includes("env APP_PASSWORD"));
  assert.ok(!line.includes("default"));
});

Deno.test("helpText marks required flags and shows a list default comma-joined", () => {
  const help = helpText({ name: "x", summary: "s", usage: "x --topic <t>" }, {
    ...REQUIRED,
    hostsList: { type: "list", default: ["a:1", "b:2"], description: "host list" },
  });
  assert.ok(help.includes("Usage: x --topic <t>"));
  assert.match(help, /--topic <string> +topic to read \(required\) {2}env TOPIC/);
  assert.match(help, /--count <number> +how many \(required\)/);
  assert.match(help, /--mode <enum> +the mode \(a\|b\) \(required\) {2}env MODE/);
  assert.match(help, /--hosts-list <list> +host list \[default: a:1,b:2\]/);
});

Deno.test("helpText aligns descriptions in one column", () => {
  const help = helpText({ name: "demo", summary: "s" }, SPECS);
  const rows = help.split("\n").filter((l) => l.startsWith("  --"));
  assert.equal(rows.length, Object.keys(SPECS).length + 1);
  const starts = rows.map((l) => {
    const gap = / {2,}(?=\S)/.exec(l.slice(2));
    assert.ok(gap, l);
    return 2 + gap.index + gap[0].length;
  });
  assert.equal(new Set(starts).size, 1, rows.join("\n"));
});

// ---------------------------------------------------------------- defineConfig

Deno.test("defineConfig parses with the env lookup it is given and carries its help", () => {
  const config = defineConfig({ name: "demo", summary: "Does a demo.", flags: SPECS });
  assert.equal(config.specs, SPECS);
  assert.equal(config.help, helpText({ name: "demo", summary: "Does a demo." }, SPECS));
  const cfg = config.parse(["--batch-size", "9"], envOf({ FORMAT: "avro" }));
  const batchSize: number = cfg.batchSize;
  assert.equal(batchSize, 9);
  assert.equal(cfg.format, "avro");
  configError(() => config.parse(["--unknown"], noEnv));
});

Deno.test("a renamed flag still answers to its former flag and environment variable, the new names first", () => {
  const specs = {
    transactionSize: {
      type: "number",
      integer: true,
      min: 1,
      env: "APP_TRANSACTION_SIZE",
      default: 1000,
      formerly: { flag: "batchSize", env: "APP_BATCH_SIZE" },
      description: "most records per transaction",
    },
  } as const satisfies FlagSpecs;
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(parseConfig(specs, ["--batch-size", "20"], env({})).transactionSize, 20);
  assert.equal(parseConfig(specs, [], env({ APP_BATCH_SIZE: "30" })).transactionSize, 30);
  assert.equal(
    parseConfig(specs, [], env({ APP_BATCH_SIZE: "30", APP_TRANSACTION_SIZE: "40" }))
      .transactionSize,
    40,
  );
  assert.equal(
    parseConfig(specs, ["--transaction-size", "5"], env({ APP_BATCH_SIZE: "30" })).transactionSize,
    5,
  );
  assert.equal(parseConfig(specs, [], env({})).transactionSize, 1000);
  assert.throws(
    () => parseConfig(specs, ["--batch-size", "0"], env({})),
    /--transaction-size must be at least 1/,
  );
  assert.match(
    helpText({ name: "app", summary: "s" }, specs),
    /env APP_TRANSACTION_SIZE \(formerly --batch-size, APP_BATCH_SIZE\)/,
  );
});
