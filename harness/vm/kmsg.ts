/**
 * The kernel log read from /dev/kmsg: one record per line, `PRI,SEQ,TS_USEC,FLAGS;MESSAGE`,
 * with dictionary lines (` KEY=VALUE`) after it and non-printable bytes escaped as `\xNN`.
 * Sequence numbers let a follower that restarts (after a dropped SSH connection) resume
 * without losing or repeating records, and tell where records were lost.
 */
import type { KernelLogGap, KernelLogStatus } from "./machine.ts";

/**
 * Read /dev/kmsg until the channel closes. Each `cat` starts at the oldest record still in the
 * ring buffer (duplicates are dropped by sequence number); when records are overwritten under
 * it, `cat` fails with EPIPE and is started again. A write to a closed channel (SIGPIPE, status
 * >= 128) ends the loop, so no reader is left behind in the guest.
 */
export const KMSG_FOLLOW_COMMAND = "while :; do cat /dev/kmsg 2>/dev/null; [ $? -ge 128 ] && exit 0; sleep 0.2; done";

export interface KmsgRecord {
  seq: number;
  usec: number;
  message: string;
}

/** One /dev/kmsg line as a record; undefined for dictionary lines and anything malformed. */
export function parseKmsgLine(line: string): KmsgRecord | undefined {
  const semi = line.indexOf(";");
  if (semi < 0 || line.startsWith(" ")) return undefined;
  const head = line.slice(0, semi).split(",");
  if (head.length < 4) return undefined;
  const seq = Number(head[1]);
  const usec = Number(head[2]);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(usec) || seq < 0 || usec < 0) return undefined;
  return { seq, usec, message: unescapeKmsg(line.slice(semi + 1)) };
}

/** Undo /dev/kmsg's `\xNN` escapes (a record holding several lines has `\x0a` between them). */
export function unescapeKmsg(s: string): string {
  if (!s.includes("\\x")) return s;
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A record as `dmesg` prints it: `[    1.234567] message`, one output line per line of the message. */
export function formatDmesg(r: KmsgRecord): string[] {
  const stamp = `[${String(Math.floor(r.usec / 1e6)).padStart(5)}.${String(r.usec % 1e6).padStart(6, "0")}] `;
  return r.message.split("\n").map((l) => stamp + l);
}

/**
 * Keeps the follower's place in the kernel log: records at or below the last sequence number
 * seen are repeats; a jump forward is a gap. Feed it raw lines from any number of successive
 * readers; it returns the dmesg-format lines that are new.
 */
export class KmsgCursor {
  private lastSeq = -1;
  private records = 0;
  private restarts = 0;
  private readonly gaps: KernelLogGap[] = [];

  /** A new reader starts (after a reconnect): it will replay the ring buffer from its start. */
  restart(): void {
    this.restarts++;
  }

  push(line: string): string[] {
    const r = parseKmsgLine(line);
    if (!r || r.seq <= this.lastSeq) return [];
    if (r.seq > this.lastSeq + 1) this.gaps.push({ afterSeq: this.lastSeq, nextSeq: r.seq, lost: r.seq - this.lastSeq - 1 });
    this.lastSeq = r.seq;
    this.records++;
    return formatDmesg(r);
  }

  status(): KernelLogStatus {
    return { records: this.records, lastSeq: this.lastSeq, restarts: this.restarts, gaps: this.gaps.map((g) => ({ ...g })) };
  }
}
