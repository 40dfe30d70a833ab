/**
 * A Server-Sent Events parser after the HTML standard's rules: text goes
 * in as it arrives (chunks may split lines and characters anywhere), whole
 * events come out on each blank line. Comments (`: ...`) are skipped;
 * `retry:` sets how long a client waits before it reconnects. Pure.
 *
 * @example
 * ```ts
 * import { SseParser } from "./sse.ts";
 * const parser = new SseParser();
 * parser.push("retry: 2000\n\nevent: stats\nda");
 * parser.push('ta: {"records":1}\n\n'); // [{ event: "stats", data: '{"records":1}' }]
 * parser.retryMs; // 2000
 * ```
 * @module
 */

/** One dispatched event. `event` is "message" when the stream named none. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  /** The latest valid `retry:` value, in ms; undefined until the stream sends one. */
  retryMs: number | undefined;
  /** The latest `id:`, kept across events as the standard says. */
  lastEventId: string | undefined;
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private sawCr = false;

  /** Feeds text; returns the events it completes, in order. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    // A CR at the end of the previous chunk already ended its line; a LF right after belongs to it.
    if (this.sawCr && text.startsWith("\n")) text = text.slice(1);
    this.sawCr = false;
    this.buffer += text;
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      const eol = this.buffer.startsWith("\r\n", end) ? 2 : 1;
      if (eol === 1 && this.buffer[end] === "\r" && end === this.buffer.length - 1) {
        this.sawCr = true;
      }
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + eol);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return undefined;
      }
      const event: SseEvent = { event: this.event || "message", data: this.data.join("\n") };
      if (this.lastEventId !== undefined) event.id = this.lastEventId;
      this.event = "";
      this.data = [];
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return undefined;
  }
}
