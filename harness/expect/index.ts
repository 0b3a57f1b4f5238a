/** expect/ — a scenario's `expect:` block from a report's text (`hangar expect LOG...`). */
export { recoverLogText } from "./recover.ts";
export { draftSignatures, signatureFor, proseHints, type ProseHints } from "./draft.ts";
export { renderExpect, type ExpectDraft } from "./render.ts";
