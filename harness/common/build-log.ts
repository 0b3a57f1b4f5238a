/** A build's log file (every tool's command line and output), with the recent lines kept for error messages. */
import { createWriteStream, type WriteStream } from "node:fs";

export class BuildLog {
  private readonly stream: WriteStream;
  private readonly recent: string[] = [];
  /** @param append keep what the file already holds (a kernel's modules log after its build log) */
  constructor(readonly path: string, o: { append?: boolean } = {}) {
    this.stream = createWriteStream(path, { flags: o.append ? "a" : "w" });
  }
  line(s: string): void {
    this.stream.write(s + "\n");
    this.recent.push(s);
    if (this.recent.length > 300) this.recent.splice(0, this.recent.length - 300);
  }
  /** The last `n` lines written. */
  tail(n: number): string {
    return this.recent.slice(-n).join("\n");
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
