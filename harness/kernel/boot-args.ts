/**
 * Kernel arguments a built kernel needs on top of the image's. The image's busybox initrd
 * configures eth0 from `hangar.ip=ADDR/LEN:GATEWAY` before systemd starts, so SSH is up
 * early; a built kernel boots without that initrd, so the same address is given to the
 * kernel's own IP autoconfiguration (CONFIG_IP_PNP, in base.config) as `ip=`. The image's
 * networkd keeps it (KeepConfiguration=yes). Pure.
 */

/** `hangar.ip=10.0.2.15/24:10.0.2.2` → `ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off`, or undefined if malformed. */
export function inKernelIpArg(hangarIp: string, device = "eth0"): string | undefined {
  const m = /^hangar\.ip=(\d+\.\d+\.\d+\.\d+)\/(\d+):(\d+\.\d+\.\d+\.\d+)$/.exec(hangarIp);
  if (!m) return undefined;
  const len = Number(m[2]);
  if (len < 0 || len > 32) return undefined;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const dotted = [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join(".");
  return `ip=${m[1]}::${m[3]}:${dotted}::${device}:off`;
}

/** Extra kernel arguments for a kernel booted without the image's initrd, given hangar's base arguments. */
export function builtKernelArgs(baseArgs: readonly string[]): string[] {
  const hangarIp = baseArgs.find((a) => a.startsWith("hangar.ip="));
  const ip = hangarIp ? inKernelIpArg(hangarIp) : undefined;
  return ip ? [ip] : [];
}
