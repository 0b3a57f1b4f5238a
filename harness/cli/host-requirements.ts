import { execa } from "execa";

/** What the host needs, as Debian packages, with the command that proves each is there. */
export interface Requirement {
  pkg: string;
  why: string;
  /** A command (looked up on PATH) or an absolute path that must exist once the package is installed. */
  provides: string;
}

export const HOST_REQUIREMENTS: Requirement[] = [
  { pkg: "qemu-system-x86", why: "runs the guests", provides: "qemu-system-x86_64" },
  { pkg: "qemu-utils", why: "disk image tools", provides: "qemu-img" },
  { pkg: "mmdebstrap", why: "builds the guest root filesystem", provides: "mmdebstrap" },
  { pkg: "e2fsprogs", why: "mkfs.ext4 -d turns the rootfs into an image", provides: "mkfs.ext4" },
  { pkg: "cpio", why: "packs the accelerator-probe initramfs", provides: "cpio" },
  { pkg: "busybox-static", why: "the accelerator-probe initramfs", provides: "/bin/busybox" },
  { pkg: "openssh-client", why: "ssh-keygen for the guest key; `hangar ssh`", provides: "ssh-keygen" },
  { pkg: "file", why: "reads the version of a bzImage", provides: "file" },
  { pkg: "zstd", why: "unpacks compressed initramfs/kernel packages", provides: "zstd" },
  { pkg: "ca-certificates", why: "HTTPS Debian mirrors for the image build", provides: "/etc/ssl/certs" },
];

/**
 * What the test suite needs besides HOST_REQUIREMENTS (`hangar doctor --fix --tests`, run by
 * `npm test`): a real browser for the results pages, a real git for bisect, a real Redis.
 */
export const TEST_REQUIREMENTS: Requirement[] = [
  { pkg: "chromium", why: "tests drive the results pages in headless Chromium", provides: "chromium" },
  { pkg: "git", why: "bisect tests make real git repositories", provides: "git" },
  { pkg: "redis-server", why: "farm tests run a real Redis", provides: "redis-server" },
  { pkg: "libxml2-utils", why: "xmllint checks that junit.xml is well-formed", provides: "xmllint" },
  { pkg: "openssl", why: "the farm TLS test makes a CA", provides: "openssl" },
];

/**
 * What `hangar kernel build` needs besides HOST_REQUIREMENTS: installed on its first use,
 * not by `doctor --fix` (a plain `hangar run` or `npm test` never builds a kernel).
 */
export const KERNEL_BUILD_REQUIREMENTS: Requirement[] = [
  { pkg: "build-essential", why: "gcc for the kernel build", provides: "gcc" },
  { pkg: "make", why: "the kernel build", provides: "make" },
  { pkg: "flex", why: "Kconfig's lexer", provides: "flex" },
  { pkg: "bison", why: "Kconfig's parser", provides: "bison" },
  { pkg: "bc", why: "kernel build scripts (timeconst)", provides: "bc" },
  { pkg: "libelf-dev", why: "objtool (ORC unwinder)", provides: "/usr/include/libelf.h" },
  { pkg: "libssl-dev", why: "kernel signing/cert tools", provides: "/usr/include/openssl/ssl.h" },
  { pkg: "ccache", why: "compiler cache: rebuilds and patched builds reuse objects", provides: "ccache" },
  { pkg: "cpio", why: "kernel headers archive (IKHEADERS) and initramfs tools", provides: "cpio" },
  { pkg: "patch", why: "--patch FILE", provides: "patch" },
  { pkg: "xz-utils", why: "unpacks the linux-source tarball", provides: "xz" },
];

/** Debian's kernel source, when neither --source nor --git is given. */
export const KERNEL_SOURCE_REQUIREMENT: Requirement = { pkg: "linux-source-6.12", why: "the kernel tree built when no --source/--git is given", provides: "/usr/src/linux-source-6.12.tar.xz" };
export const GIT_REQUIREMENT: Requirement = { pkg: "git", why: "--git DIR --rev REV", provides: "git" };

/** Check the kernel-build requirements and apt-install what is missing. Returns what is still missing. */
export async function ensureKernelBuildHost(o: { debianSource: boolean; git: boolean }, log: (line: string) => void): Promise<RequirementStatus[]> {
  const reqs = [...KERNEL_BUILD_REQUIREMENTS, ...(o.debianSource ? [KERNEL_SOURCE_REQUIREMENT] : []), ...(o.git ? [GIT_REQUIREMENT] : [])];
  let st = await checkHost(reqs);
  const missing = st.filter((s) => !s.found);
  if (missing.length) {
    await installPackages([...new Set(missing.map((m) => m.pkg))], log);
    st = await checkHost(reqs);
  }
  return st.filter((s) => !s.found);
}

export interface RequirementStatus extends Requirement {
  found: boolean;
  at?: string;
}

async function locate(provides: string): Promise<string | undefined> {
  if (provides.startsWith("/")) {
    const r = await execa("test", ["-e", provides], { reject: false, timeout: 5_000 });
    return r.exitCode === 0 ? provides : undefined;
  }
  const r = await execa("sh", ["-c", 'command -v "$1"', "sh", provides], { reject: false, timeout: 5_000 });
  return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
}

export async function checkHost(reqs = HOST_REQUIREMENTS): Promise<RequirementStatus[]> {
  return Promise.all(
    reqs.map(async (r) => {
      const at = await locate(r.provides);
      return { ...r, found: !!at, ...(at ? { at } : {}) };
    }),
  );
}

/** Install missing packages with apt-get (as root). Each apt call has a deadline. */
export async function installPackages(pkgs: string[], log: (line: string) => void): Promise<void> {
  if (!pkgs.length) return;
  if (process.getuid?.() !== 0) throw new Error(`installing ${pkgs.join(" ")} needs root (run as root, or install them yourself)`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const run = async (args: string[], ms: number) => {
    const p = execa("apt-get", args, { env, timeout: ms, forceKillAfterDelay: 5_000, reject: false, all: true, stdin: "ignore" });
    p.all?.on("data", (d: Buffer) => {
      for (const l of d.toString().split("\n")) if (l.trim()) log(l.trim());
    });
    return p;
  };
  log(`apt-get update`);
  const up = await run(["update", "-q"], 10 * 60_000);
  if (up.exitCode !== 0) log(`apt-get update failed (exit ${up.exitCode}); trying the install anyway`);
  log(`apt-get install ${pkgs.join(" ")}`);
  const r = await run(["install", "-y", "-q", "--no-install-recommends", ...pkgs], 20 * 60_000);
  if (r.exitCode !== 0) {
    const tailLines = String(r.all ?? "").trim().split("\n").slice(-8).join("\n");
    throw new Error(`apt-get install ${pkgs.join(" ")} failed (exit ${r.exitCode}${r.timedOut ? ", timed out" : ""}):\n${tailLines}`);
  }
}

/** Check, and install what is missing when `fix` is set. Returns what is still missing. */
export async function ensureHost(fix: boolean, log: (line: string) => void, reqs = HOST_REQUIREMENTS): Promise<RequirementStatus[]> {
  let st = await checkHost(reqs);
  const missing = st.filter((s) => !s.found);
  if (missing.length && fix) {
    await installPackages([...new Set(missing.map((m) => m.pkg))], log);
    st = await checkHost(reqs);
  }
  return st.filter((s) => !s.found);
}
