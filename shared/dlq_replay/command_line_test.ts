import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import { checkFlagsFor, flagsGiven, splitCommandLine } from "./command_line.ts";

function refused(run: () => unknown, message: RegExp, flag = "command") {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.flag, flag);
    assert.match(err.message, message);
    assert.equal(err.message.includes("\n"), false, "one line");
    return true;
  });
}

Deno.test("the command comes first; show takes its record next", () => {
  assert.deepEqual(splitCommandLine(["list", "--json"]), { command: "list", flags: ["--json"] });
  assert.deepEqual(splitCommandLine(["replay", "--all", "--dry-run"]), {
    command: "replay",
    flags: ["--all", "--dry-run"],
  });
  assert.deepEqual(splitCommandLine(["show", "orders-dlq/2/9", "--json"]), {
    command: "show",
    ref: { topic: "orders-dlq", partition: 2, offset: "9" },
    flags: ["--json"],
  });
});

Deno.test("a missing or unknown command, or a show without a record, is one clear line", () => {
  refused(() => splitCommandLine([]), /^say what to do: list, show/);
  refused(() => splitCommandLine(["--all"]), /^say what to do/);
  refused(() => splitCommandLine(["replya"]), /^unknown command "replya"/);
  refused(() => splitCommandLine(["show"]), /show needs a record/);
  refused(() => splitCommandLine(["show", "--json"]), /show needs a record/);
  refused(() => splitCommandLine(["show", "12"]), /"12" is not <partition>\/<offset>/);
});

Deno.test("replay's flags are refused on list and show", () => {
  checkFlagsFor("replay", new Set(["all", "rate"]));
  checkFlagsFor("list", new Set(["json", "topic"]));
  refused(
    () => checkFlagsFor("list", new Set(["reason"])),
    /--reason is for replay, not list/,
    "reason",
  );
  refused(() => checkFlagsFor("show", new Set(["dryRun"])), /--dry-run is for replay/, "dryRun");
});

Deno.test("the keys given on a command line", () => {
  assert.deepEqual(
    [...flagsGiven(["--order-id", "o-1", "--no-dry-run", "--rate=5", "-h", "x"])],
    ["orderId", "dryRun", "rate"],
  );
});
