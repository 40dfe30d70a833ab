/**
 * A local SMTP sink for tests and the demo: it speaks enough SMTP for one
 * client at a time per connection (EHLO/HELO, MAIL FROM, RCPT TO, DATA,
 * RSET, NOOP, QUIT), keeps nothing in memory, and appends one JSON line per
 * outcome to a file before it answers, so the file is an oracle that shares
 * no code with the sender: a `message` line is written before its 250, a
 * `refused` line before its 4xx/5xx.
 *
 * What it refuses, so a sender's failure paths are real:
 * - a recipient whose domain ends in `.invalid` (RFC 2606's never-resolving
 *   name): `550 5.1.2` at RCPT TO, a permanent failure;
 * - a recipient listed in `tempfail`: `451 4.3.0` for its first
 *   `tempfailCount` RCPT TOs, then accepted, a transient failure.
 *
 * @example
 * ```ts
 * import { startSmtpSink } from "./smtp_sink.ts";
 * const sink = startSmtpSink({ port: 0, file: "/tmp/mail.jsonl" });
 * console.log(sink.port);
 * await sink.close();
 * ```
 * @module
 */

/** One line of the sink's file. */
export type SinkEntry =
  | {
    kind: "message";
    receivedAt: string;
    from: string;
    to: string[];
    /** The Message-ID header, without angle brackets; "" when absent. */
    messageId: string;
    /** Header names in lower case; a repeated header keeps its last value. */
    headers: Record<string, string>;
    body: string;
  }
  | { kind: "refused"; receivedAt: string; command: string; to?: string; code: number };

export interface SmtpSinkOptions {
  /** Default loopback. */
  hostname?: string;
  /** 0 for any free port. */
  port: number;
  /** The JSONL file each outcome is appended to. */
  file: string;
  /** Recipients answered 451 for their first `tempfailCount` RCPT TOs. */
  tempfail?: readonly string[];
  tempfailCount?: number;
}

/** The reply to `RCPT TO:<to>`, given how many times `to` was tried before. Pure. */
export function recipientReply(
  to: string,
  triedBefore: number,
  options: Pick<SmtpSinkOptions, "tempfail" | "tempfailCount">,
): { code: number; text: string } {
  const domain = to.slice(to.lastIndexOf("@") + 1).toLowerCase();
  if (!to.includes("@") || domain.endsWith(".invalid") || domain === "invalid") {
    return { code: 550, text: `5.1.2 ${to}: domain does not accept mail` };
  }
  if (options.tempfail?.includes(to) && triedBefore < (options.tempfailCount ?? 1)) {
    return { code: 451, text: `4.3.0 ${to}: try again later` };
  }
  return { code: 250, text: "2.1.5 OK" };
}

/** Reads headers (unfolded, names lower-cased) and body of a message's text. Pure. */
export function splitMessage(text: string): { headers: Record<string, string>; body: string } {
  const normalised = text.replace(/\r\n/g, "\n");
  const blank = normalised.indexOf("\n\n");
  const head = blank < 0 ? normalised : normalised.slice(0, blank);
  const body = blank < 0 ? "" : normalised.slice(blank + 2);
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of head.split("\n")) {
    if (/^[ \t]/.test(line) && last) headers[last] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      headers[last] = line.slice(colon + 1).trim();
    }
  }
  return { headers, body };
}

/** The address inside `MAIL FROM:<a>` / `RCPT TO:<a>`, or undefined. Pure. */
export function pathOf(argument: string): string | undefined {
  return /^\s*<([^<>]*)>/.exec(argument)?.[1];
}

export interface SmtpSink {
  readonly port: number;
  /** Stops listening and waits for open conversations to end. */
  close(): Promise<void>;
}

/** Starts the sink; it serves until `close`. */
export function startSmtpSink(options: SmtpSinkOptions): SmtpSink {
  const listener = Deno.listen({ hostname: options.hostname ?? "127.0.0.1", port: options.port });
  const tries = new Map<string, number>();
  const open = new Set<Promise<void>>();
  const append = async (entry: SinkEntry) => {
    await Deno.writeTextFile(options.file, JSON.stringify(entry) + "\n", { append: true });
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      const done = converse(conn, options, tries, append).catch(() => {}).finally(() => {
        open.delete(done);
      });
      open.add(done);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(open);
    },
  };
}

async function converse(
  conn: Deno.Conn,
  options: SmtpSinkOptions,
  tries: Map<string, number>,
  append: (entry: SinkEntry) => Promise<void>,
): Promise<void> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const reply = async (code: number, text: string) => {
    await conn.write(encoder.encode(`${code} ${text}\r\n`));
  };
  const now = () => new Date().toISOString();
  let from: string | undefined;
  let to: string[] = [];
  let data: string[] | undefined;
  let buffer = "";
  try {
    await reply(220, "smtp-sink ready");
    for await (const chunk of conn.readable) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\r\n"); end >= 0; end = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line !== ".") {
            data.push(line.startsWith(".") ? line.slice(1) : line);
            continue;
          }
          const { headers, body } = splitMessage(data.join("\r\n"));
          await append({
            kind: "message",
            receivedAt: now(),
            from: from ?? "",
            to,
            messageId: (headers["message-id"] ?? "").replace(/^<|>$/g, ""),
            headers,
            body,
          });
          await reply(250, "2.0.0 queued");
          data = undefined;
          from = undefined;
          to = [];
          continue;
        }
        const [verb, ...rest] = line.split(":");
        const command = line.split(" ")[0].toUpperCase();
        if (command === "EHLO" || command === "HELO") await reply(250, "smtp-sink");
        else if (verb.toUpperCase() === "MAIL FROM") {
          from = pathOf(rest.join(":")) ?? "";
          to = [];
          await reply(250, "2.1.0 OK");
        } else if (verb.toUpperCase() === "RCPT TO") {
          const address = pathOf(rest.join(":")) ?? "";
          const answer = recipientReply(address, tries.get(address) ?? 0, options);
          tries.set(address, (tries.get(address) ?? 0) + 1);
          if (answer.code === 250) to.push(address);
          else {await append({
              kind: "refused",
              receivedAt: now(),
              command,
              to: address,
              code: answer.code,
            });}
          await reply(answer.code, answer.text);
        } else if (command === "DATA") {
          if (from === undefined || to.length === 0) await reply(503, "5.5.1 MAIL and RCPT first");
          else {
            data = [];
            await reply(354, "end with <CRLF>.<CRLF>");
          }
        } else if (command === "RSET") {
          from = undefined;
          to = [];
          await reply(250, "2.0.0 OK");
        } else if (command === "NOOP") await reply(250, "2.0.0 OK");
        else if (command === "QUIT") {
          await reply(221, "2.0.0 bye");
          return;
        } else await reply(502, "5.5.2 command not implemented");
      }
    }
  } finally {
    try {
      conn.close();
    } catch { /* closed by the client */ }
  }
}
