/** The build log of a kernel build: every tool's command line and output, plus a tail for errors. */
import { createWriteStream, type WriteStream } from "node:fs";

export class BuildLog {
  private readonly stream: WriteStream;
  private readonly recent: string[] = [];
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: "a" });
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
