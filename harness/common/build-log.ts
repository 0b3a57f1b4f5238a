/**
 * A build's log file (every tool's command line and output), with the recent lines kept for
 * error messages. A log that cannot be written (full disk, read-only folder) never crashes
 * hangar: writing stops, the recent lines are still kept, and the error is in `failed`.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { FileWriteError } from "./files.ts";

export class BuildLog {
  private readonly stream: WriteStream;
  private readonly recent: string[] = [];
  private error: FileWriteError | undefined;
  /** @param append keep what the file already holds (a kernel's modules log after its build log) */
  constructor(readonly path: string, o: { append?: boolean } = {}) {
    this.stream = createWriteStream(path, { flags: o.append ? "a" : "w" });
    this.stream.on("error", (err) => {
      this.error ??= new FileWriteError(path, err);
    });
  }
  /** Why the log file could not be written (then it holds only what came before), if it could not. */
  get failed(): FileWriteError | undefined {
    return this.error;
  }
  line(s: string): void {
    if (!this.error && !this.stream.destroyed) this.stream.write(s + "\n");
    this.recent.push(s);
    if (this.recent.length > 300) this.recent.splice(0, this.recent.length - 300);
  }
  /** The last `n` lines written. */
  tail(n: number): string {
    return this.recent.slice(-n).join("\n");
  }
  /** Flush and close; never rejects (see `failed`). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.destroyed || this.stream.closed) return resolve();
      this.stream.once("close", () => resolve());
      this.stream.end();
    });
  }
}
