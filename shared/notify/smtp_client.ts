/**
 * A small SMTP client over `Deno.connect`: one connection per message,
 * EHLO, MAIL FROM, RCPT TO, DATA, QUIT (RFC 5321), nothing else. The
 * notifier sends a message at a time and needs to know exactly how each
 * attempt ended, so the reply codes are its whole interface: a 2xx/3xx is
 * what was expected, a 4xx is a {@linkcode TransientFailure} (try again
 * later: greylisting, a full queue), a 5xx a {@linkcode PermanentFailure}
 * (no such user, a domain that takes no mail); a connection that fails is
 * left as thrown (transient, a network class).
 *
 * Written here rather than taken from npm: the conversation one relay needs
 * is this short, and owning it keeps the reply code of every step in view.
 * It is tested against the sink in shared/dev/smtp_sink.ts. STARTTLS and
 * AUTH are not implemented yet: the relay is expected on a trusted network
 * (a local MTA that relays onwards).
 *
 * @example
 * ```ts
 * import { sendMail } from "./smtp_client.ts";
 * // await sendMail({ host: "127.0.0.1", port: 2525, heloName: "notifier.local" },
 * //   { from: "orders@shop.example", to: "ada@example.com", data: "Subject: hi\r\n\r\nhello\r\n" });
 * ```
 * @module
 */
import { PermanentFailure, TransientFailure } from "../retry/classify.ts";

/** Where messages go. */
export interface SmtpServer {
  host: string;
  port: number;
  /** The name this client gives in EHLO. */
  heloName: string;
  /** Longest wait for any one reply. */
  timeoutMs?: number;
}

/** One message: its envelope and its content (headers, a blank line, the body). */
export interface OutgoingMail {
  from: string;
  to: string;
  /** RFC 5322 text; lines end in CRLF or LF (both are sent as CRLF). */
  data: string;
}

/** A server reply: its code and its text lines. */
export interface SmtpReply {
  code: number;
  lines: string[];
}

/**
 * Reads one complete reply from the start of `buffer`: `250-…` lines
 * continue it, `250 …` ends it. Returns it with the rest of the buffer, or
 * undefined while it is incomplete. Pure.
 */
export function parseReply(buffer: string): { reply: SmtpReply; rest: string } | undefined {
  const lines: string[] = [];
  let at = 0;
  for (;;) {
    const end = buffer.indexOf("\r\n", at);
    if (end < 0) return undefined;
    const line = buffer.slice(at, end);
    at = end + 2;
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!m) throw new PermanentFailure("smtp", `not an SMTP reply: ${JSON.stringify(line)}`);
    lines.push(m[3]);
    if (m[2] !== "-") return { reply: { code: Number(m[1]), lines }, rest: buffer.slice(at) };
  }
}

/**
 * The DATA section of `data`: CRLF line ends, a leading dot doubled (RFC
 * 5321 §4.5.2, so a line of "." cannot end the message early), ended by
 * CRLF . CRLF. Pure.
 */
export function dataSection(data: string): string {
  const lines = data.replace(/\r?\n$/, "").split(/\r?\n/);
  return lines.map((l) => (l.startsWith(".") ? `.${l}` : l)).join("\r\n") + "\r\n.\r\n";
}

/** The failure a reply stands for when it is not what the command expects. Pure. */
export function replyFailure(command: string, reply: SmtpReply): Error {
  const text = `${command}: ${reply.code} ${reply.lines.join(" ")}`.trim();
  return reply.code >= 500
    ? new PermanentFailure("smtp", text)
    : new TransientFailure("smtp", text);
}

/** One SMTP conversation over an open connection. */
class Conversation {
  #buffer = "";
  #decoder = new TextDecoder();
  #encoder = new TextEncoder();
  #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(private conn: Deno.Conn, private timeoutMs: number) {
    this.#reader = conn.readable.getReader();
  }

  async reply(): Promise<SmtpReply> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const parsed = parseReply(this.#buffer);
      if (parsed) {
        this.#buffer = parsed.rest;
        return parsed.reply;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TransientFailure("smtp", "the SMTP server timed out")),
          Math.max(0, deadline - Date.now()),
        );
      });
      try {
        const { value, done } = await Promise.race([this.#reader.read(), timeout]);
        if (done) throw new TransientFailure("smtp", "the SMTP server closed the connection");
        this.#buffer += this.#decoder.decode(value, { stream: true });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  async write(text: string): Promise<void> {
    const bytes = this.#encoder.encode(text);
    for (let n = 0; n < bytes.length;) n += await this.conn.write(bytes.subarray(n));
  }

  /** Sends `line` (or nothing) and requires a reply in `expected`'s hundred. */
  async step(command: string, line: string | undefined, expected: number): Promise<SmtpReply> {
    if (line !== undefined) await this.write(`${line}\r\n`);
    const reply = await this.reply();
    if (Math.floor(reply.code / 100) !== expected) throw replyFailure(command, reply);
    return reply;
  }
}

/**
 * Sends one message; resolves once the server accepted it (250 after
 * DATA), with that reply. Throws a classified failure otherwise.
 * `accepted` runs right after the 250, before QUIT: a sender's ledger is
 * written there, so nothing but that write stands between the server's
 * acceptance and the sender's record of it.
 */
export async function sendMail(
  server: SmtpServer,
  mail: OutgoingMail,
  accepted?: (reply: SmtpReply) => Promise<void>,
): Promise<SmtpReply> {
  const conn = await Deno.connect({ hostname: server.host, port: server.port });
  const talk = new Conversation(conn, server.timeoutMs ?? 30_000);
  try {
    await talk.step("greeting", undefined, 2);
    await talk.step("EHLO", `EHLO ${server.heloName}`, 2);
    await talk.step("MAIL FROM", `MAIL FROM:<${mail.from}>`, 2);
    await talk.step("RCPT TO", `RCPT TO:<${mail.to}>`, 2);
    await talk.step("DATA", "DATA", 3);
    await talk.write(dataSection(mail.data));
    const reply = await talk.step("end of DATA", undefined, 2);
    await accepted?.(reply);
    // The message is the server's now; a failed QUIT changes nothing.
    await talk.step("QUIT", "QUIT", 2).catch(() => {});
    return reply;
  } finally {
    try {
      conn.close();
    } catch { /* already closed by the server */ }
  }
}

/**
 * Greets the server and leaves (EHLO, QUIT): whether it answers at all, for
 * a start-up line. Resolves to undefined when it does, else to why not.
 */
export async function checkSmtpServer(server: SmtpServer): Promise<string | undefined> {
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: server.host, port: server.port });
  } catch (err) {
    return `cannot connect: ${(err as Error).message}`;
  }
  const talk = new Conversation(conn, server.timeoutMs ?? 30_000);
  try {
    await talk.step("greeting", undefined, 2);
    await talk.step("EHLO", `EHLO ${server.heloName}`, 2);
    await talk.step("QUIT", "QUIT", 2).catch(() => {});
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    try {
      conn.close();
    } catch { /* already closed by the server */ }
  }
}
