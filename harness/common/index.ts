export * from "./events.ts";
export * from "./deadline.ts";
export * from "./paths.ts";
export * from "./files.ts";
export * from "./shutdown.ts";
export * from "./errors.ts";
export * from "./timeouts.ts";
