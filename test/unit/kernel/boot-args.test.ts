import { describe, expect, it } from "vitest";
import { builtKernelArgs, inKernelIpArg } from "../../../harness/kernel/boot-args.ts";


describe("built kernel boot arguments", () => {
  it("turn hangar.ip= into the kernel's own ip= autoconfiguration", () => {
    expect(inKernelIpArg("hangar.ip=10.0.2.15/24:10.0.2.2")).toBe("ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off");
    expect(inKernelIpArg("hangar.ip=192.168.1.9/20:192.168.0.1")).toBe("ip=192.168.1.9::192.168.0.1:255.255.240.0::eth0:off");
    expect(inKernelIpArg("hangar.ip=bad")).toBeUndefined();
    expect(builtKernelArgs(["console=ttyS0", "hangar.ip=10.0.2.15/24:10.0.2.2"])).toEqual(["ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off"]);
    expect(builtKernelArgs(["console=ttyS0"])).toEqual([]);
  });
});
