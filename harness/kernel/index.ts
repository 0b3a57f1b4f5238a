export { resolveKernel, type KernelArtifact } from "./resolve.ts";
