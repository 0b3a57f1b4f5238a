import { createConnection, type Socket } from "node:net";
import { withDeadline } from "../common/index.ts";

/** Minimal QMP client. Every command has a deadline; a frozen QEMU never blocks the caller. */
export class QmpClient {
  private sock: Socket | undefined;
  private buf = "";
  private nextId = 1;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly path: string) {}

  /** Connect, read the greeting and negotiate capabilities, all within `ms`. */
  async connect(ms = 10_000): Promise<void> {
    const sock = createConnection(this.path);
    this.sock = sock;
    sock.setEncoding("utf8");
    const greeting = new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      const onData = () => {
        if (this.buf.includes("\n")) {
          sock.off("error", reject);
          resolve();
        }
      };
      sock.on("data", (chunk: string) => {
        this.buf += chunk;
        onData();
        this.drain();
      });
    });
    sock.on("error", (err) => this.failAll(err));
    sock.on("close", () => this.failAll(new Error("QMP connection closed")));
    try {
      await withDeadline(greeting, ms, "QMP greeting");
    } catch (err) {
      this.close();
      throw err;
    }
    await this.execute("qmp_capabilities", undefined, ms);
  }

  private drain(): void {
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      // Asynchronous events (SHUTDOWN, …) are not used: the process exit says it all.
      if (typeof msg.event === "string") continue;
      const id = typeof msg.id === "string" ? msg.id : undefined;
      const p = id ? this.pending.get(id) : undefined;
      if (!p || !id) continue;
      this.pending.delete(id);
      if (msg.error) p.reject(new Error(`QMP error: ${JSON.stringify(msg.error)}`));
      else p.resolve(msg.return);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  execute(command: string, args?: Record<string, unknown>, ms = 10_000): Promise<unknown> {
    const sock = this.sock;
    if (!sock || sock.destroyed) return Promise.reject(new Error("QMP not connected"));
    const id = `h${this.nextId++}`;
    const p = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    sock.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + "\n");
    return withDeadline(p, ms, `QMP ${command}`, () => this.pending.delete(id));
  }

  /** Press Alt+SysRq+key on the guest's keyboard (works when SSH and userspace are dead). */
  sysrq(key: string, ms = 5_000): Promise<unknown> {
    return this.execute(
      "send-key",
      { keys: [{ type: "qcode", data: "alt" }, { type: "qcode", data: "sysrq" }, { type: "qcode", data: key }], "hold-time": 200 },
      ms,
    );
  }

  close(): void {
    this.sock?.destroy();
    this.sock = undefined;
  }
}
