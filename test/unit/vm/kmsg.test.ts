import { describe, expect, it } from "vitest";
import { KmsgCursor, formatDmesg, parseKmsgLine } from "../../../harness/vm/kmsg.ts";

describe("/dev/kmsg records", () => {
  it("parses a record, skips dictionary lines, unescapes \\xNN", () => {
    expect(parseKmsgLine("6,1234,5678901,-;hello world")).toEqual({ seq: 1234, usec: 5678901, message: "hello world" });
    expect(parseKmsgLine("4,7,12,c,caller=T1;a\\x0ab \\x5c")).toEqual({ seq: 7, usec: 12, message: "a\nb \\" });
    expect(parseKmsgLine(" SUBSYSTEM=block")).toBeUndefined();
    expect(parseKmsgLine("garbage")).toBeUndefined();
    expect(parseKmsgLine("6,x,1,-;bad seq")).toBeUndefined();
  });

  it("prints records as dmesg does, one line per line of the message", () => {
    expect(formatDmesg({ seq: 1, usec: 62643693, message: "INFO: task dd:427 blocked" })).toEqual(["[   62.643693] INFO: task dd:427 blocked"]);
    expect(formatDmesg({ seq: 1, usec: 5, message: "a\nb" })).toEqual(["[    0.000005] a", "[    0.000005] b"]);
  });
});

describe("KmsgCursor: a follower that restarts after a dropped connection", () => {
  const rec = (seq: number, text = `record ${seq}`) => `6,${seq},${seq * 1000},-;${text}`;

  it("a restarted reader replays the ring buffer: repeats are dropped, what was printed while down is kept, nothing is lost", () => {
    const c = new KmsgCursor();
    const out: string[] = [];
    for (const s of [0, 1, 2, 3]) out.push(...c.push(rec(s)));
    // The connection drops; records 4 and 5 are printed meanwhile; a new reader starts at the oldest record.
    c.restart();
    for (const s of [0, 1, 2, 3, 4, 5, 6]) out.push(...c.push(rec(s)));
    expect(out.map((l) => l.replace(/^\[[^\]]*\] /, ""))).toEqual([0, 1, 2, 3, 4, 5, 6].map((s) => `record ${s}`));
    expect(c.status()).toEqual({ records: 7, lastSeq: 6, restarts: 1, gaps: [] });
  });

  it("records overwritten before the reader came back are a gap, with how many were lost", () => {
    const c = new KmsgCursor();
    c.push(rec(0));
    c.push(rec(1));
    c.restart();
    // The ring buffer wrapped while the follower was down: 2..9 are gone.
    for (const s of [10, 11]) c.push(rec(s));
    expect(c.status().gaps).toEqual([{ afterSeq: 1, nextSeq: 10, lost: 8 }]);
  });

  it("a follower that starts after the ring buffer wrapped records the records it never saw", () => {
    const c = new KmsgCursor();
    c.push(rec(40));
    expect(c.status().gaps).toEqual([{ afterSeq: -1, nextSeq: 40, lost: 40 }]);
  });
});
