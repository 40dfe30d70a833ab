import assert from "node:assert/strict";
import { ENTER_SCREEN, LEAVE_SCREEN, paintFrame } from "./screen.ts";

Deno.test("screen: alternate screen in and out, cursor hidden and shown again", () => {
  assert.ok(ENTER_SCREEN.includes("\x1b[?1049h") && ENTER_SCREEN.includes("\x1b[?25l"));
  assert.ok(LEAVE_SCREEN.includes("\x1b[?1049l") && LEAVE_SCREEN.includes("\x1b[?25h"));
});

Deno.test("screen: a frame repaints from home, clears line ends and below, never scrolls", () => {
  const text = paintFrame(["a", "b", "c"], 2);
  assert.equal(text, "\x1b[H" + "a\x1b[0m\x1b[K\r\nb\x1b[0m\x1b[K" + "\x1b[J");
  // No full-screen clear between frames: that is what flickers.
  assert.ok(!text.includes("\x1b[2J"));
});
