// Untrusted text made inert: whatever string comes in, the terminal form carries no control
// character, the Markdown form no tag, image, link or table break, the HTML and XML forms no markup;
// and the reader still sees the text, escaped rather than dropped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  capText,
  escapeHtml,
  escapeXml,
  jsonText,
  mapStrings,
  markdownCode,
  markdownSafe,
  MAX_TEXT,
  terminalSafe,
} from '../../src/util/untrusted.js';

// eslint-disable-next-line no-control-regex -- what must never reach a terminal
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Strings rich in what attacks a terminal or a Markdown page, mixed with anything at all. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .array(
      fc.constantFrom(
        '\x1b',
        '\x1b[2J',
        '\x1b]0;title\x07',
        '\x07',
        '\r',
        '\n',
        '\t',
        '\x9b',
        '\x85',
        '\u202e',
        '\u2066',
        '<',
        '>',
        '&',
        '[',
        ']',
        '(',
        ')',
        '!',
        '|',
        '#',
        '`',
        '\\',
        '*',
        '_',
        '-',
        '=',
        ' ',
        '1.',
        'img',
        'x',
        '😀',
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join('')),
);

describe('terminalSafe', () => {
  it('never lets a control character, C1 or bidi control through, whatever the input (property)', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = terminalSafe(s);
        expect(out).not.toMatch(TERMINAL_CONTROL);
        expect(out).not.toContain('\n');
        expect(out).not.toContain('\r');
        expect(out.length).toBeLessThanOrEqual(MAX_TEXT);
        expect(terminalSafe(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });

  it('multiline keeps line feeds, and only them (property)', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = terminalSafe(s, { multiline: true });
        expect(out).not.toMatch(TERMINAL_CONTROL);
        expect(out.split('\n').length).toBe(Math.min(s.split('\n').length, out.split('\n').length));
      }),
    );
    expect(terminalSafe('a\nb', { multiline: true })).toBe('a\nb');
    expect(terminalSafe('a\r\nb', { multiline: true })).toBe('a\\r\nb');
  });

  it('shows a sequence as its escape instead of running it; plain text is unchanged', () => {
    expect(terminalSafe('\x1b]0;pwned\x07')).toBe('\\x1b]0;pwned\\x07');
    expect(terminalSafe('\x1b[2J\x1b[32m✓ passed')).toBe('\\x1b[2J\\x1b[32m✓ passed');
    expect(terminalSafe('ok\rFAKE')).toBe('ok\\rFAKE');
    expect(terminalSafe('a\nb')).toBe('a\\nb');
    expect(terminalSafe('a\tb')).toBe('a b');
    expect(terminalSafe('\x9b31m')).toBe('\\x9b31m');
    expect(terminalSafe('abc\u202edef')).toBe('abc\\u202edef');
    const plain = 'slow client — 4008 «ok» 😀 ÷ µs';
    expect(terminalSafe(plain)).toBe(plain);
  });

  it('caps the length with an ellipsis, never splitting a surrogate pair', () => {
    expect(terminalSafe('x'.repeat(5000))).toBe(`${'x'.repeat(MAX_TEXT - 1)}…`);
    expect(terminalSafe('x'.repeat(MAX_TEXT))).toBe('x'.repeat(MAX_TEXT));
    expect(capText('ab😀', 3)).toBe('ab…');
    expect(capText('a😀bc', 4)).toBe('a😀…');
    expect(capText('ab😀c', 4)).toBe('ab…');
    expect(terminalSafe('abcdef', { max: 4 })).toBe('abc…');
  });

  it('takes any value (a crafted record may hold a string where a number belongs)', () => {
    expect(terminalSafe(42)).toBe('42');
    expect(terminalSafe(undefined)).toBe('undefined');
  });
});

describe('markdownSafe', () => {
  it('never contains a raw <, an image, a link, a line break or a table break (property)', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = markdownSafe(s);
        expect(out).not.toContain('<');
        expect(out).not.toContain('](');
        expect(out).not.toContain('![');
        expect(out).not.toMatch(/[\r\n]/);
        expect(out).not.toMatch(TERMINAL_CONTROL);
        // every | is escaped, so a table row keeps its cells
        expect(out).not.toMatch(/(^|[^\\])(\\\\)*\|/);
        // nothing starts a heading, a quote, a list or a rule
        expect(out).not.toMatch(/^(#|>|[-+*](\s|$)|\d+[.)](\s|$)|[-=_*]{3,}\s*$)/);
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes, rather than drops: the reader sees the text', () => {
    expect(markdownSafe('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(markdownSafe('![x](http://evil/x.png)')).toBe('!&#91;x&#93;(http://evil/x.png)');
    expect(markdownSafe('| fake | table |')).toBe('\\| fake \\| table \\|');
    expect(markdownSafe('# heading')).toBe('\\# heading');
    expect(markdownSafe('a\n\n# b')).toBe('a \\# b');
    expect(markdownSafe('- item')).toBe('\\- item');
    expect(markdownSafe('1. item')).toBe('1\\. item');
    expect(markdownSafe('---')).toBe('\\---');
    expect(markdownSafe('**bold** _it_ `code` ~del~ $x$ a\\b &amp;')).toBe(
      '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~del\\~ \\$x\\$ a\\\\b &amp;amp;',
    );
    expect(markdownSafe('\x1b[2J')).toBe('\\x1b&#91;2J');
  });

  it('leaves the text of a benign report as it was', () => {
    for (const s of [
      'fast',
      'slow client',
      '55.0ms',
      '== 0',
      '1.00× (199.5 vs 200.0 events/s per client)',
      '-5%',
      'p50 ≤ 250µs',
      "phase's end",
    ])
      expect(markdownSafe(s)).toBe(s);
  });
});

describe('markdownCode', () => {
  it('a code span when the text needs no escaping, else <code> around the escaped text', () => {
    expect(markdownCode('missing{group:fast}: count==0')).toBe('`missing{group:fast}: count==0`');
    expect(markdownCode('p(99)<1ms')).toBe('<code>p(99)&lt;1ms</code>');
    expect(markdownCode('a`b')).toBe('<code>a\\`b</code>');
  });

  it('never shows untrusted text raw: no < inside, no backtick that could end a span (property)', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = markdownCode(s);
        const inner = out.startsWith('<code>') ? out.slice(6, -7) : out.slice(1, -1);
        expect(inner).not.toContain('<');
        expect(inner).not.toMatch(/(^|[^\\])`/);
        expect(inner).not.toMatch(/[\r\n]/);
      }),
    );
  });
});

describe('escapeHtml and escapeXml', () => {
  it('no markup and no control character survives (property)', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        for (const out of [escapeHtml(s), escapeXml(s)]) {
          expect(out).not.toMatch(/[<>"]/);
          expect(out).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
          expect(out).not.toMatch(TERMINAL_CONTROL);
        }
        expect(escapeXml(s)).not.toContain("'");
      }),
    );
    expect(escapeHtml('<img src=x onerror=alert(1)> "q" & \u202e')).toBe('&lt;img src=x onerror=alert(1)&gt; &quot;q&quot; &amp; \\u202e');
    expect(escapeHtml("phase's end")).toBe("phase's end");
    expect(escapeXml("a'\x01\r\nb")).toBe('a&apos;\\x01\\r\nb');
  });
});

describe('jsonText', () => {
  it('parses back to the same value and holds no raw control, C1 or bidi character (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostile, (v, s) => {
        const value = { v, s, [s]: s };
        for (const text of [jsonText(value), jsonText(value, 2)]) {
          expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
          expect(text).not.toMatch(TERMINAL_CONTROL);
        }
      }),
    );
    expect(jsonText({ a: 1 }, 2)).toBe(JSON.stringify({ a: 1 }, null, 2));
  });
});

describe('mapStrings', () => {
  it('cleans every string and key, copies kept fields as they are, and a "__proto__" key stays a key', () => {
    const raw = JSON.parse('{"a":"x","b":[{"c":"y","histogram":"HIST"}],"n":1,"__proto__":{"polluted":"z"}}') as Record<string, unknown>;
    const out = mapStrings(
      raw,
      (s) => s.toUpperCase(),
      (k) => k === 'histogram',
    );
    expect(out).toEqual({ A: 'X', B: [{ C: 'Y', HISTOGRAM: 'HIST' }], N: 1, __PROTO__: { POLLUTED: 'Z' } });
    const proto = mapStrings(raw, (s) => s);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toContain('__proto__');
    expect((proto as { polluted?: string }).polluted).toBeUndefined();
    expect(raw.a).toBe('x');
  });
});
