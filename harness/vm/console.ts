import { open, type FileHandle } from "node:fs/promises";

/**
 * Follows the serial console file QEMU writes. QEMU writes to a file, so a slow or busy
 * hangar never back-pressures the guest; hangar polls the file with a bounded read per
 * tick, splits lines (capping their length), and hands them to listeners. Memory stays
 * bounded however much the guest prints; if it floods faster than we keep up, the backlog
 * beyond `maxBacklog` is skipped and a line says so (the file on disk keeps everything).
 */
export class ConsoleFollower {
  private fh: FileHandle | undefined;
  private offset = 0;
  private partial = "";
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;
  private readonly listeners = new Set<(line: string) => void>();
  bytesRead = 0;
  bytesSkipped = 0;
  lines = 0;
  lastLineAt = 0;

  constructor(
    readonly path: string,
    private readonly opts: { intervalMs?: number; chunk?: number; maxLine?: number; maxBacklog?: number } = {},
  ) {}

  onLine(fn: (line: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 200);
    this.timer.unref();
  }

  /** Read whatever is left (bounded), flush the partial line, stop polling. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (let i = 0; i < 64 && (await this.tick(true)); i++);
    if (this.partial) this.emit(this.partial);
    this.partial = "";
    this.stopped = true;
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }

  /** One bounded read. Returns true when a full chunk was read (more may be waiting). */
  private async tick(force = false): Promise<boolean> {
    if ((this.busy && !force) || this.stopped) return false;
    this.busy = true;
    try {
      if (!this.fh) {
        try {
          this.fh = await open(this.path, "r");
        } catch {
          return false; // QEMU has not created it yet
        }
      }
      const chunk = this.opts.chunk ?? 1 << 20;
      const { size } = await this.fh.stat();
      const maxBacklog = this.opts.maxBacklog ?? 64 << 20;
      if (size - this.offset > maxBacklog) {
        const skip = size - this.offset - chunk;
        this.bytesSkipped += skip;
        this.offset += skip;
        this.partial = "";
        this.emit(`hangar: console flood: skipped ${skip} bytes (kept in the log file)`);
      }
      if (size <= this.offset) return false;
      const buf = Buffer.allocUnsafe(Math.min(chunk, size - this.offset));
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      this.bytesRead += bytesRead;
      this.split(buf.subarray(0, bytesRead).toString("utf8"));
      return bytesRead === chunk;
    } catch {
      return false;
    } finally {
      this.busy = false;
    }
  }

  private split(text: string): void {
    const maxLine = this.opts.maxLine ?? 4096;
    let start = 0;
    const s = this.partial + text;
    for (;;) {
      const nl = s.indexOf("\n", start);
      if (nl < 0) break;
      this.emit(s.slice(start, nl).replace(/\r+$/, ""));
      start = nl + 1;
    }
    this.partial = s.slice(start);
    if (this.partial.length > maxLine) {
      this.emit(this.partial.slice(0, maxLine));
      this.partial = "";
    }
  }

  private emit(line: string): void {
    const maxLine = this.opts.maxLine ?? 4096;
    const l = line.length > maxLine ? line.slice(0, maxLine) : line;
    this.lines++;
    this.lastLineAt = Date.now();
    for (const fn of this.listeners) {
      try {
        fn(l);
      } catch {
        /* listeners must not break the follower */
      }
    }
  }
}
