/**
 * Build a guest root image from a recipe: mmdebstrap into a directory, bake in the SSH
 * key, extract kernel/initrd/config for direct boot, mkfs.ext4 -d into a raw image. All
 * of it in a temp folder of the cache that is renamed into place when complete.
 */
import { chmod, copyFile, mkdir, readFile, readdir, rename, rm, stat, truncate, writeFile, open } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { execa, ExecaError } from "execa";
import { errorMessage, formatMs, timedStep, type EventSink } from "../common/index.ts";
import { imageId, mmdebstrapArgs, type Recipe } from "./recipe.ts";
import { BuildLog } from "../common/build-log.ts";
import { pidAlive } from "../common/lock.ts";

/** Child process deadlines. */
export const TIMEOUTS = {
  mmdebstrap: 45 * 60_000,
  mkfs: 15 * 60_000,
  sshKeygen: 60_000,
  umount: 30_000,
  killGrace: 10_000,
} as const;

/** Names of the files in an image folder. */
export const FILES = {
  rootfs: "rootfs.ext4",
  kernel: "vmlinuz",
  initrd: "initrd.img",
  kernelConfig: "kernel.config",
  sshKey: "id_ed25519",
  sshPubKey: "id_ed25519.pub",
  meta: "image.json",
  log: "build.log",
} as const;

export class ImageBuildError extends Error {
  constructor(
    message: string,
    readonly logPath?: string,
  ) {
    super(message);
    this.name = "ImageBuildError";
  }
}

/** What the build produced, before the folder is moved into place. */
export interface BuiltImage {
  kernelVersion: string;
  sizeBytes: number;
}

interface ToolOpts {
  timeoutMs: number;
  log: BuildLog;
  sink: EventSink;
  step: string;
  /** Emit every output line as a progress event (mmdebstrap); otherwise only log it. */
  progress?: boolean;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

/** Run one tool: argument array, deadline, forced kill, output into the build log. */
async function runTool(cmd: string, args: string[], o: ToolOpts): Promise<void> {
  o.log.line(`$ ${[cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}`);
  const t0 = Date.now();
  const child = execa(cmd, args, {
    timeout: o.timeoutMs,
    forceKillAfterDelay: TIMEOUTS.killGrace,
    ...(o.signal ? { cancelSignal: o.signal } : {}),
    stdin: "ignore",
    all: true,
    buffer: false,
    env: { LC_ALL: "C.UTF-8", ...(o.env ?? {}) },
    extendEnv: true,
  });
  const rl = createInterface({ input: child.all! });
  rl.on("line", (line) => {
    o.log.line(line);
    if (o.progress && line.trim()) o.sink.emit({ type: "progress", step: o.step, message: line });
  });
  try {
    await child;
  } catch (err) {
    let why: string;
    if (err instanceof ExecaError) {
      if (err.timedOut) why = `timed out after ${formatMs(o.timeoutMs)}`;
      else if (err.isCanceled) why = "cancelled";
      else if (err.exitCode !== undefined) why = `exited with status ${err.exitCode}`;
      else if (err.signal) why = `killed by ${err.signal}`;
      else why = err.shortMessage;
    } else why = errorMessage(err);
    o.log.line(`# ${cmd} failed (${why}) after ${formatMs(Date.now() - t0)}`);
    throw new ImageBuildError(`${cmd} ${why}; last lines of ${o.log.path}:\n${o.log.tail(25)}`, o.log.path);
  } finally {
    rl.close();
  }
  o.log.line(`# ${cmd} ok in ${formatMs(Date.now() - t0)}`);
}

/** Mount points at or below `dir` (deepest first), from /proc/self/mountinfo. */
export async function mountsBelow(dir: string, mountinfo?: string): Promise<string[]> {
  const text = mountinfo ?? (await readFile("/proc/self/mountinfo", "utf8").catch(() => ""));
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const mp = f[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp && (mp === dir || mp.startsWith(dir + "/"))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Remove a build folder, but never through a mount point (a killed mmdebstrap can leave
 * /proc, /sys or /dev of the chroot mounted: deleting through those would hit the host).
 */
export async function removeBuildDir(dir: string): Promise<void> {
  let mounts = await mountsBelow(dir);
  for (const mp of mounts) {
    await execa("umount", ["--lazy", "--recursive", mp], { timeout: TIMEOUTS.umount, forceKillAfterDelay: TIMEOUTS.killGrace, reject: false, stdin: "ignore" });
  }
  mounts = await mountsBelow(dir);
  if (mounts.length) throw new ImageBuildError(`not removing ${dir}: still mounted below it: ${mounts.join(", ")}`);
  await rm(dir, { recursive: true, force: true });
}

/** Kernel versions under <root>/boot, newest first. */
export function kernelVersions(bootFiles: string[]): string[] {
  const vs = bootFiles.filter((f) => f.startsWith("vmlinuz-")).map((f) => f.slice("vmlinuz-".length));
  return vs.sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
}

async function requireTools(log: BuildLog): Promise<void> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new ImageBuildError("building an image needs root (mmdebstrap --mode=root keeps file ownership for mkfs.ext4 -d); run `hangar image build` as root");
  }
  const missing: string[] = [];
  for (const [tool, pkg] of [["mmdebstrap", "mmdebstrap"], ["mkfs.ext4", "e2fsprogs"], ["ssh-keygen", "openssh-client"]] as const) {
    const r = await execa("sh", ["-c", 'command -v "$1"', "sh", tool], { reject: false, timeout: 10_000, stdin: "ignore" });
    if (r.exitCode !== 0) missing.push(`${tool} (apt-get install ${pkg})`);
  }
  if (missing.length) throw new ImageBuildError(`missing host tools for the image build: ${missing.join(", ")}`);
  log.line(`# host tools ok`);
}

/**
 * Build `recipe` into `work` (an empty folder). Leaves in `work`: rootfs.ext4, vmlinuz,
 * initrd.img, kernel.config, id_ed25519{,.pub}. The build log goes to `logPath`.
 */
export async function buildInto(work: string, recipe: Recipe, o: { sink: EventSink; logPath: string; signal?: AbortSignal }): Promise<BuiltImage> {
  const { sink, signal } = o;
  const log = new BuildLog(o.logPath);
  const id = imageId(recipe);
  const root = join(work, "root");
  try {
    log.line(`# hangar image build ${id} (recipe ${recipe.dir}, hash ${recipe.hash}) at ${new Date().toISOString()}`);
    await requireTools(log);

    await timedStep(sink, "image.sshkey", () =>
      runTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@hangar-${id}`, "-f", join(work, FILES.sshKey)], {
        timeoutMs: TIMEOUTS.sshKeygen, log, sink, step: "image.sshkey", ...(signal ? { signal } : {}),
      }),
    );
    await chmod(join(work, FILES.sshKey), 0o600);

    await timedStep(
      sink,
      "image.mmdebstrap",
      () =>
        runTool("mmdebstrap", mmdebstrapArgs(recipe, root), {
          timeoutMs: TIMEOUTS.mmdebstrap, log, sink, step: "image.mmdebstrap", progress: true,
          env: { HANGAR_IMAGE_ID: id }, ...(signal ? { signal } : {}),
        }),
      `${recipe.suite}, ${recipe.packages.length} packages`,
    );

    const kernelVersion = await timedStep(sink, "image.configure", async () => {
      // Root's authorized key (the hooks made /root/.ssh; make sure of modes and owner).
      const sshDir = join(root, "root", ".ssh");
      await mkdir(sshDir, { recursive: true, mode: 0o700 });
      await chmod(sshDir, 0o700);
      const pub = await readFile(join(work, FILES.sshPubKey));
      await writeFile(join(sshDir, "authorized_keys"), pub, { mode: 0o600 });
      await chmod(join(sshDir, "authorized_keys"), 0o600);

      // Kernel, initrd and config next to the image, for -kernel/-initrd.
      const boot = await readdir(join(root, "boot"));
      const versions = kernelVersions(boot);
      const v = versions[0];
      if (!v) throw new ImageBuildError(`no kernel in the image (${join(root, "boot")} has no vmlinuz-*): does the recipe install a linux-image package?`, o.logPath);
      if (versions.length > 1) log.line(`# several kernels (${versions.join(", ")}); using ${v}`);
      const initrd = `initrd.img-${v}`;
      if (!boot.includes(initrd)) throw new ImageBuildError(`no ${initrd} in the image's /boot: is initramfs-tools installed?`, o.logPath);
      await copyFile(join(root, "boot", `vmlinuz-${v}`), join(work, FILES.kernel));
      await copyFile(join(root, "boot", initrd), join(work, FILES.initrd));
      for (const f of [FILES.kernel, FILES.initrd]) await chmod(join(work, f), 0o644);
      if (boot.includes(`config-${v}`)) await copyFile(join(root, "boot", `config-${v}`), join(work, FILES.kernelConfig));
      log.line(`# kernel ${v}`);
      return v;
    });

    const rootfs = join(work, FILES.rootfs);
    await timedStep(
      sink,
      "image.mkfs",
      async () => {
        const fh = await open(rootfs, "w");
        await fh.close();
        await truncate(rootfs, recipe.imageSizeMiB * 1024 * 1024);
        // Full inode table and journal init now, so the guest's ext4lazyinit does not do it
        // on every boot (into the throwaway overlay, under TCG).
        await runTool(
          "mkfs.ext4",
          ["-F", "-q", "-L", "hangar-root", "-d", root, "-E", "lazy_itable_init=0,lazy_journal_init=0", "-m", "0", rootfs],
          { timeoutMs: TIMEOUTS.mkfs, log, sink, step: "image.mkfs", ...(signal ? { signal } : {}) },
        );
      },
      `${recipe.imageSizeMiB} MiB ext4`,
    );

    await removeBuildDir(root);
    const st = await stat(rootfs);
    log.line(`# done: ${rootfs} ${st.size} bytes (${st.blocks * 512} allocated)`);
    return { kernelVersion, sizeBytes: st.size };
  } finally {
    await log.close();
  }
}

/** A fresh, unique temp folder for a build, inside the images folder (same filesystem as the target). */
export async function makeWorkDir(imagesDir: string, id: string): Promise<string> {
  const dir = join(imagesDir, `.build-${id}-${process.pid}-${randomBytes(3).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Move `work` to `dir`, moving any previous `dir` aside first and removing it after. */
export async function moveIntoPlace(work: string, dir: string): Promise<void> {
  const old = `${dir}.old-${process.pid}-${randomBytes(3).toString("hex")}`;
  let hadOld = false;
  try {
    await rename(dir, old);
    hadOld = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await rename(work, dir);
  if (hadOld) await removeBuildDir(old);
}

/** Temp folders (makeWorkDir, moveIntoPlace) of builds of this image whose process died (killed, machine reset...). */
export async function removeLeftovers(imagesDir: string, id: string, sink: EventSink): Promise<void> {
  for (const n of await readdir(imagesDir).catch(() => [] as string[])) {
    const m = n.startsWith(`.build-${id}-`) ? /-(\d+)-[0-9a-f]+$/.exec(n) : n.startsWith(`${id}.old-`) ? /\.old-(\d+)-[0-9a-f]+$/.exec(n) : null;
    if (!m || pidAlive(Number(m[1]))) continue;
    sink.emit({ type: "log", level: "info", message: `removing ${join(imagesDir, n)} left by an interrupted build` });
    await removeBuildDir(join(imagesDir, n)).catch((e) => sink.emit({ type: "log", level: "warn", message: errorMessage(e) }));
  }
}
