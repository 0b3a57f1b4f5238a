/**
 * Bounds that keep the parser's cost per line and per report independent of what a guest prints.
 *
 * A kernel console line is one printk record: at most 1024 bytes of text (PRINTKRB_RECORD_MAX) plus
 * a prefix of some 40 bytes (`[12345.123456][ T1234] `, a `login: ` prompt glued in front). Anything
 * longer is not a kernel line as printed; only its first MAX_LINE_CHARS characters are looked at
 * (and kept in a report's text). With every line bounded, each regex costs a bounded amount per line,
 * whatever its shape.
 */
export const MAX_LINE_CHARS = 1200;

/**
 * Title formats are searched in the first TITLE_WINDOW_LINES lines of a report (syzkaller searches the
 * whole report, but every format matches at or right after the oops line: the header itself, or a
 * line within the next few).
 */
export const TITLE_WINDOW_LINES = 50;

/** The raw title is cut to this many characters before it is normalized (the kept title is 120). */
export const MAX_RAW_TITLE_CHARS = 512;
