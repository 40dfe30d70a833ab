/**
 * Drawing a frame in place in a terminal without flicker: the dashboard
 * works on the alternate screen (the user's scrollback is left as it was),
 * hides the cursor, and repaints each frame from the top-left corner over
 * the previous one, clearing only what is left of each line and below the
 * last one; the screen is never blanked between frames. Pure: it returns
 * the text to write.
 *
 * @example
 * ```ts
 * import { ENTER_SCREEN, LEAVE_SCREEN, paintFrame } from "./screen.ts";
 * const out = ENTER_SCREEN + paintFrame(["hello", "world"], 24) + LEAVE_SCREEN;
 * ```
 * @module
 */

const CSI = "\x1b[";

/** Alternate screen on, cursor hidden, cursor home. */
export const ENTER_SCREEN = `${CSI}?1049h${CSI}?25l${CSI}H`;

/** Cursor shown, attributes reset, back to the normal screen (and its scrollback). */
export const LEAVE_SCREEN = `${CSI}0m${CSI}?25h${CSI}?1049l`;

/**
 * One frame's text: cursor home, each line followed by "erase to end of
 * line", then "erase below". Lines beyond `rows` are dropped so the
 * terminal never scrolls (a scroll would shift the next frame).
 */
export function paintFrame(lines: readonly string[], rows: number): string {
  const shown = lines.slice(0, Math.max(1, rows));
  return `${CSI}H` + shown.map((l) => `${l}${CSI}0m${CSI}K`).join("\r\n") + `${CSI}J`;
}
