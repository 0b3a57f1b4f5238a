/** Hung-task titles: `INFO: task hung in F`. */
import { CALL_TRACE, STACK, re, type TitleFormat } from "./format.ts";
import { hangFrame } from "./stall.ts";

export const HUNG_TASK_FORMATS: TitleFormat[] = [
  {
    kind: "hung-task",
    title: re(String.raw`INFO: task {{TASK}} blocked (?:in I/O wait )?for more than [0-9]+ seconds`),
    fmt: (_m, f) => `INFO: task hung in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], extractor: hangFrame },
  },
  {
    kind: "hung-task",
    title: re(String.raw`INFO: task {{TASK}} can't die for more than .* seconds`),
    fmt: (_m, f) => `INFO: task can't die in ${f}`,
    stack: { parts: [CALL_TRACE, STACK], skip: ["schedule"] },
  },
];
