/**
 * Build a guest root image from a recipe: mmdebstrap into a directory, bake in the SSH
 * key, extract kernel/initrd/config for direct boot, mkfs.ext4 -d into a raw image. All
 * of it in a temp folder of the cache that is renamed into place when complete.
 */
import { chmod, copyFile, mkdir, readFile, readdir, rename, rm, stat, truncate, writeFile, open } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { errorMessage, timedStep, type EventSink } from "../common/index.ts";
import { HangarError } from "../common/errors.ts";
import { runTool } from "../common/run-tool.ts";
import { imageId, mmdebstrapArgs, type Recipe } from "./recipe.ts";
import { parseHostKey } from "./host-key.ts";
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
  /** The guest's SSH host public key (its private half is only inside rootfs.ext4). */
  hostKey: "ssh_host_ed25519_key.pub",
  meta: "image.json",
  log: "build.log",
} as const;

/** The image build failed (a tool, a recipe that yields no kernel…): exit 3, naming the log. */
export class ImageBuildError extends HangarError {
  constructor(
    message: string,
    readonly logPath?: string,
  ) {
    super(message);
  }
}

/** What the build produced, before the folder is moved into place. */
export interface BuiltImage {
  kernelVersion: string;
  sizeBytes: number;
  /** The guest's SSH host public key, "ssh-ed25519 AAAA…" (no comment). */
  hostKey: string;
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

/** One tool of the image build (common/run-tool.ts); a failure is an ImageBuildError. */
function imageTool(cmd: string, args: string[], o: ToolOpts): Promise<void> {
  return runTool(cmd, args, {
    timeoutMs: o.timeoutMs,
    log: o.log,
    env: { LC_ALL: "C.UTF-8", ...(o.env ?? {}) },
    killGraceMs: TIMEOUTS.killGrace,
    tailLines: 25,
    shownArgs: 0,
    errorClass: ImageBuildError,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.progress ? { onLine: (line: string) => { if (line.trim()) o.sink.emit({ type: "progress", step: o.step, message: line }); } } : {}),
  });
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
 * initrd.img, kernel.config, id_ed25519{,.pub}, ssh_host_ed25519_key.pub (the guest's host key,
 * whose private half is only inside rootfs.ext4); every file 0600. The build log goes to `logPath`.
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
      imageTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@hangar-${id}`, "-f", join(work, FILES.sshKey)], {
        timeoutMs: TIMEOUTS.sshKeygen, log, sink, step: "image.sshkey", ...(signal ? { signal } : {}),
      }),
    );
    await chmod(join(work, FILES.sshKey), 0o600);
    // The guest's host key, made here so that hangar knows it before any boot (pinned).
    const hostKeyDir = join(work, ".hostkey");
    await mkdir(hostKeyDir, { mode: 0o700 });
    await timedStep(sink, "image.hostkey", () =>
      imageTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@hangar-${id}`, "-f", join(hostKeyDir, "ssh_host_ed25519_key")], {
        timeoutMs: TIMEOUTS.sshKeygen, log, sink, step: "image.hostkey", ...(signal ? { signal } : {}),
      }),
    );

    await timedStep(
      sink,
      "image.mmdebstrap",
      () =>
        imageTool("mmdebstrap", mmdebstrapArgs(recipe, root), {
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

      // The pinned host key replaces whatever openssh-server's postinst made; no other host keys.
      const etcSsh = join(root, "etc", "ssh");
      for (const f of await readdir(etcSsh)) if (/^ssh_host_.*_key(\.pub)?$/.test(f)) await rm(join(etcSsh, f), { force: true });
      await copyFile(join(hostKeyDir, "ssh_host_ed25519_key"), join(etcSsh, "ssh_host_ed25519_key"));
      await chmod(join(etcSsh, "ssh_host_ed25519_key"), 0o600);
      await copyFile(join(hostKeyDir, "ssh_host_ed25519_key.pub"), join(etcSsh, "ssh_host_ed25519_key.pub"));
      await chmod(join(etcSsh, "ssh_host_ed25519_key.pub"), 0o644);
      const hostKey = parseHostKey(await readFile(join(hostKeyDir, "ssh_host_ed25519_key.pub"), "utf8"));
      if (!hostKey) throw new ImageBuildError(`ssh-keygen wrote no usable host key in ${hostKeyDir}`, o.logPath);
      await writeFile(join(work, FILES.hostKey), hostKey + "\n", { mode: 0o600 });
      await rm(hostKeyDir, { recursive: true, force: true });
      log.line(`# host key ${hostKey}`);

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
      if (boot.includes(`config-${v}`)) await copyFile(join(root, "boot", `config-${v}`), join(work, FILES.kernelConfig));
      log.line(`# kernel ${v}`);
      return v;
    });
    const hostKey = parseHostKey(await readFile(join(work, FILES.hostKey), "utf8"))!;

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
        await imageTool(
          "mkfs.ext4",
          ["-F", "-q", "-L", "hangar-root", "-d", root, "-E", "lazy_itable_init=0,lazy_journal_init=0", "-m", "0", rootfs],
          { timeoutMs: TIMEOUTS.mkfs, log, sink, step: "image.mkfs", ...(signal ? { signal } : {}) },
        );
      },
      `${recipe.imageSizeMiB} MiB ext4`,
    );

    await removeBuildDir(root);
    // The image holds the guest's private host key: only root reads anything of it.
    for (const f of await readdir(work)) await chmod(join(work, f), 0o600);
    await chmod(work, 0o700);
    const st = await stat(rootfs);
    log.line(`# done: ${rootfs} ${st.size} bytes (${st.blocks * 512} allocated)`);
    await log.close();
    if (log.failed) throw new ImageBuildError(`the build log: ${log.failed.message}`, o.logPath);
    return { kernelVersion, sizeBytes: st.size, hostKey };
  } finally {
    await log.close();
  }
}

/** A fresh, unique temp folder for a build, inside the images folder (same filesystem as the target). */
export async function makeWorkDir(imagesDir: string, id: string): Promise<string> {
  const dir = join(imagesDir, `.build-${id}-${process.pid}-${randomBytes(3).toString("hex")}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
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
