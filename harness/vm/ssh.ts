import { readFile } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import { errorMessage, retryUntil, withDeadline, type EventSink } from "../common/index.ts";
import { hostKeyMatches, hostKeyType } from "../image/index.ts";
import type { ExecOptions, ExecResult } from "./machine.ts";

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  /** The guest's host public key ("<type> <base64>"): the connection is refused when the guest shows another. */
  hostKey?: string;
}

/**
 * One SSH connection to a guest (ssh2). Every operation has a deadline: connecting,
 * each exec, and closing. A wedged guest makes calls fail with a DeadlineError, never hang.
 */
export class SshSession {
  private client: Client | undefined;
  private alive = false;

  constructor(private readonly target: SshTarget) {}

  get connected(): boolean {
    return this.alive;
  }

  /** Connect (deadline `ms`), over `sock` when given: an open TCP connection whose SSH banner is waiting. */
  async connect(ms: number, sock?: Socket): Promise<void> {
    const key = await readFile(this.target.privateKeyPath);
    const client = new Client();
    // ssh2 can emit several errors for one failed connection; an unhandled one would crash hangar.
    client.on("error", () => {
      this.alive = false;
    });
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        client.once("ready", () => resolve());
        client.once("error", reject);
        client.connect({
          host: this.target.host,
          port: this.target.port,
          ...(sock ? { sock } : {}),
          username: this.target.user,
          privateKey: key,
          readyTimeout: ms,
          keepaliveInterval: 5_000,
          keepaliveCountMax: 3,
          // The image pins the guest's host key: a guest showing another is refused.
          ...pinning(this.target.hostKey),
        });
      }),
      ms + 1_000,
      `ssh connect to ${this.target.host}:${this.target.port}`,
      () => client.destroy(),
    ).catch((err) => {
      client.destroy();
      throw err;
    });
    client.on("close", () => {
      this.alive = false;
    });
    this.client = client;
    this.alive = true;
  }

  /**
   * Wait until the guest's sshd answers, then connect and prove readiness with a trivial
   * command, all within `deadlineMs`. Readiness is polled cheaply first: a raw TCP connect
   * that waits briefly for the "SSH-" banner. Under user networking QEMU accepts every
   * connection at once, and one made before the guest's network is up just stalls, so a
   * short banner deadline retried often finds sshd much sooner than a long handshake would.
   */
  async waitReady(deadlineMs: number, sink?: EventSink, signal?: AbortSignal): Promise<void> {
    let tries = 0;
    const t0 = Date.now();
    let bannerAt = 0;
    await retryUntil(
      "ssh ready",
      async () => {
        tries++;
        // The probing connection itself becomes the session: no second sshd fork while the guest boots.
        const sock = await openWithBanner(this.target.host, this.target.port, 1_500);
        if (!sock) throw new Error("no SSH banner yet");
        bannerAt ||= Date.now() - t0;
        this.close();
        try {
          await this.connect(20_000, sock);
          const r = await this.exec("true", { timeoutMs: 15_000 });
          if (r.code !== 0) throw new Error(`probe command exited ${r.code}`);
        } catch (err) {
          sink?.emit({ type: "log", level: "debug", message: `ssh try ${tries} at ${Date.now() - t0} ms: ${errorMessage(err)}` });
          throw err;
        }
      },
      { deadlineMs, tryMs: 40_000, initialDelayMs: 200, maxDelayMs: 200, ...(signal ? { signal } : {}) },
    );
    sink?.emit({ type: "log", level: "debug", message: `ssh ready after ${tries} tries: banner at ${bannerAt} ms, ready at ${Date.now() - t0} ms` });
  }

  /** Run a command (a shell string, quoted by guest/quote) with a deadline. Never rejects on timeout: the result says timedOut. */
  exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    const client = this.client;
    const t0 = Date.now();
    const max = opts.maxOutput ?? 1 << 20;
    if (!client || !this.alive) return Promise.reject(new Error("ssh: not connected"));
    return new Promise<ExecResult>((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      let channel: ClientChannel | undefined;
      let settled = false;
      const finish = (r: Omit<ExecResult, "stdout" | "stderr" | "durationMs">) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, stdout, stderr, durationMs: Date.now() - t0 });
      };
      const timer = setTimeout(() => {
        try {
          channel?.signal("KILL");
        } catch {
          /* ignore */
        }
        try {
          channel?.close();
        } catch {
          /* ignore */
        }
        finish({ code: null, timedOut: true });
      }, opts.timeoutMs);
      timer.unref();
      client.exec(command, (err, ch) => {
        if (err) {
          settled = true;
          clearTimeout(timer);
          return reject(err);
        }
        channel = ch;
        if (opts.input) ch.end(opts.input);
        ch.on("data", (d: Buffer) => {
          const s = d.toString("utf8");
          if (stdout.length < max) stdout += s.slice(0, max - stdout.length);
          opts.onStdout?.(s);
        });
        ch.stderr.on("data", (d: Buffer) => {
          const s = d.toString("utf8");
          if (stderr.length < max) stderr += s.slice(0, max - stderr.length);
          opts.onStderr?.(s);
        });
        ch.on("exit", (code: number | null, signal?: string) => {
          // "close" follows; keep the values.
          (ch as unknown as { _hangarExit: unknown })._hangarExit = { code, signal };
        });
        ch.on("close", () => {
          const ex = (ch as unknown as { _hangarExit?: { code: number | null; signal?: string } })._hangarExit;
          finish({ code: ex?.code ?? null, ...(ex?.signal ? { signal: ex.signal } : {}), timedOut: false });
        });
      });
    });
  }

  /**
   * Start a long-running command whose output is streamed line by line (the kernel log
   * follower). Returns a stop function. The stream ends by itself when the guest dies.
   */
  follow(command: string, onLine: (line: string) => void): { stop: () => void; done: Promise<void> } {
    const client = this.client;
    if (!client || !this.alive) throw new Error("ssh: not connected");
    let channel: ClientChannel | undefined;
    let partial = "";
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    client.exec(command, (err, ch) => {
      if (err) return resolveDone();
      channel = ch;
      ch.on("data", (d: Buffer) => {
        partial += d.toString("utf8");
        let nl: number;
        while ((nl = partial.indexOf("\n")) >= 0) {
          onLine(partial.slice(0, nl));
          partial = partial.slice(nl + 1);
        }
        if (partial.length > 8192) {
          onLine(partial);
          partial = "";
        }
      });
      ch.stderr.on("data", () => {});
      ch.on("close", () => {
        if (partial) onLine(partial);
        resolveDone();
      });
    });
    return {
      stop: () => {
        try {
          channel?.signal("TERM");
          channel?.close();
        } catch {
          /* ignore */
        }
        resolveDone();
      },
      done,
    };
  }

  close(): void {
    this.alive = false;
    try {
      this.client?.end();
      this.client?.destroy();
    } catch {
      /* ignore */
    }
    this.client = undefined;
  }
}

/**
 * A TCP connection to host:port once the peer has sent something (sshd's banner) within
 * `ms`, or undefined. The data is left unread, for the SSH client that takes the socket.
 */
export function openWithBanner(host: string, port: number, ms: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.removeAllListeners("readable");
      sock.removeAllListeners("close");
      if (ok) resolve(sock);
      else {
        sock.destroy();
        resolve(undefined);
      }
    };
    const timer = setTimeout(() => done(false), ms);
    // "readable" also fires at EOF; only buffered bytes mean sshd answered.
    sock.on("readable", () => done(sock.readableLength > 0));
    sock.on("error", () => done(false));
    sock.on("close", () => done(false));
  });
}

/** ssh2 settings that accept only the pinned host key (none pinned, e.g. a test target: any). */
function pinning(hostKey: string | undefined): Pick<ConnectConfig, "algorithms" | "hostVerifier"> {
  if (!hostKey) return { hostVerifier: () => true };
  const type = hostKeyType(hostKey);
  return {
    ...(type ? { algorithms: { serverHostKey: [type as ServerHostKeyAlgorithm] } } : {}),
    hostVerifier: (key: Buffer) => hostKeyMatches(hostKey, key),
  };
}
