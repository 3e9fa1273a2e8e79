// A tiny text table: columns padded to their widest cell, numbers right-aligned. Cells may carry
// ANSI colors; widths are measured without them.

// eslint-disable-next-line no-control-regex -- ESC starts every ANSI colour sequence
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (s: string): number => [...s.replace(ANSI, '')].length;

export function renderTable(header: string[], rows: string[][], rightAlign: (col: number) => boolean = (c) => c > 0): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => width(r[c] ?? ''))));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => {
        const pad = ' '.repeat(widths[c]! - width(cell));
        return rightAlign(c) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
