// Text evbench did not write (what a target said, what a saved record holds) made inert where it is
// shown: a terminal (no control sequence reaches it), Markdown (no tag, image, link, heading or table
// break), HTML and XML (entities). The one place evbench escapes: renderers call it on every field.

/** Longest piece of untrusted text shown, in characters; longer text is cut and ends with an ellipsis. */
export const MAX_TEXT = 1000;

export interface SafeTextOptions {
  /** Keep line feeds (a block meant to span lines); otherwise they show as `\n`. */
  multiline?: boolean;
  /** Characters shown at most (default MAX_TEXT), the ellipsis included. */
  max?: number;
}

/**
 * C0 (tab, line feed and carriage return are handled apart), DEL, C1 (0x9b is a one-byte CSI), the
 * Unicode line separators, and bidi embeddings, overrides and isolates (they reorder what follows).
 */
// eslint-disable-next-line no-control-regex -- these control characters are the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A character as the escape a reader recognises: `\x1b`, `\u202e`. */
const visible = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** At most `max` characters: the end cut off and marked with `…`, never half a surrogate pair. */
export function capText(s: string, max = MAX_TEXT): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - 1);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** Any value as text (a crafted record may hold a string where a number belongs, or the reverse). */
const text = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/**
 * Text for a terminal: every control character shown as its escape (`\x1b[2J` prints as those six
 * characters, so a whole ESC, CSI or OSC sequence is inert and still readable), tabs as spaces, line
 * feeds kept only for a block meant to span lines, carriage returns always escaped (they would
 * overwrite the line), and at most `max` characters. Idempotent.
 */
export function terminalSafe(value: unknown, opts: SafeTextOptions = {}): string {
  const s = text(value)
    .replace(/\t/g, ' ')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, opts.multiline ? '\n' : '\\n')
    .replace(CONTROL, visible);
  return capText(s, opts.max);
}

/**
 * Inline Markdown text that stays text wherever a renderer puts it (a paragraph, a list item, a table
 * cell, a heading): `<`, `>`, `&`, `[`, `]` as entities (an entity is never markup, so no tag, image
 * or link can form), Markdown punctuation backslash-escaped, `|` escaped (no table break), line breaks
 * collapsed to a space, a line-start marker (list, heading underline, ordered list) escaped, control
 * characters as visible escapes, and at most `max` characters.
 */
export function markdownSafe(value: unknown, max = MAX_TEXT): string {
  const s = capText(text(value), max)
    .replace(/[\t\r\n\u2028\u2029]+/g, ' ')
    .trimStart()
    .replace(/[\\`*_~#|$]/g, (c) => `\\${c}`)
    .replace(/[&<>[\]]/g, (c) => MARKDOWN_ENTITIES[c]!)
    // markers that count only where a line starts: a list item (`- `, `+ `, `1. `), a rule or heading underline (`---`, `===`)
    .replace(/^([-+])(?=\s|$)|^([-=])(?=\2*\s*$)/, '\\$1$2')
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
  return s.replace(CONTROL, visible);
}

const MARKDOWN_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '[': '&#91;', ']': '&#93;' };

/**
 * Untrusted text shown as code in Markdown: a backtick code span when the text needs no escaping at
 * all (it reads the same in the source), else an HTML `<code>` element around the escaped text (a
 * code span shows its content raw, and raw is what untrusted text must never be).
 */
export function markdownCode(value: unknown, max = MAX_TEXT): string {
  const s = text(value);
  const safe = markdownSafe(s, max);
  return safe === s ? `\`${s}\`` : `<code>${safe}</code>`;
}

/** Text for HTML element content or a double-quoted attribute (evbench writes no other kind); control and bidi characters as visible escapes. */
export function escapeHtml(value: unknown, max = MAX_TEXT): string {
  return capText(text(value), max)
    .replace(/\r/g, '\\r')
    .replace(/[&<>"]/g, (c) => HTML_ENTITIES[c]!)
    .replace(CONTROL, visible);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * Text for XML content or a quoted attribute (JUnit): entities, and the characters XML 1.0 cannot
 * carry or a CI page should not show (C0 but tab and line feed, DEL, C1, bidi) as visible escapes.
 */
export function escapeXml(value: unknown, max = MAX_TEXT): string {
  return capText(text(value), max)
    .replace(/\r/g, '\\r')
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!)
    .replace(CONTROL, visible);
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * JSON for a stream a terminal may show (`--json` on stdout): JSON.stringify already writes C0 as
 * `\u001b`; DEL, C1, the line separators and bidi controls it leaves raw are written as `\u` escapes
 * too. The same value parses back.
 */
export function jsonText(value: unknown, indent?: number): string {
  // outside strings JSON is ASCII punctuation, digits and keywords: every match is inside a string
  return JSON.stringify(value, null, indent).replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A deep copy of `value` with every string and every object key passed through `clean`; fields whose
 * key `keep` accepts are copied as they are (encoded histograms: decoded, never shown).
 */
export function mapStrings<T>(
  value: T,
  clean: (s: string) => string,
  keep: (key: string, value: unknown) => boolean = () => false,
  /** Told of every object and array the copy is made of (what a caller may later know as already clean). */
  made: (copy: object) => void = () => {},
): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return clean(v);
    if (Array.isArray(v)) {
      const copy = v.map(walk);
      made(copy);
      return copy;
    }
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    made(out);
    // defined, not assigned: a key "__proto__" stays a key and never replaces the copy's prototype
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, clean(k), { value: keep(k, x) ? x : walk(x), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return walk(value) as T;
}
