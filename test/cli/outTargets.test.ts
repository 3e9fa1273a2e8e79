// `--out`: one records folder, and any number of streams by their two prefixes.
import { describe, expect, it } from 'vitest';
import { parseOutTargets } from '../../src/cli/outTargets.js';
import { redactText } from '../../src/util/redact.js';

describe('parseOutTargets', () => {
  it('a plain value is the folder; none is none', () => {
    expect(parseOutTargets(['reports/x'])).toEqual({ dir: 'reports/x', streams: [] });
    expect(parseOutTargets([])).toEqual({ streams: [] });
  });

  it('prometheus-rw= and ndjson= are streams, repeatable, beside one folder', () => {
    expect(parseOutTargets(['out', 'prometheus-rw=http://127.0.0.1:9090/api/v1/write', 'ndjson=a.ndjson', 'ndjson=b.ndjson'])).toEqual({
      dir: 'out',
      streams: [
        { kind: 'prometheus-rw', url: 'http://127.0.0.1:9090/api/v1/write' },
        { kind: 'ndjson', file: 'a.ndjson' },
        { kind: 'ndjson', file: 'b.ndjson' },
      ],
    });
  });

  it('any other kind= is a folder name, not a stream', () => {
    expect(parseOutTargets(['influxdb=http://x'])).toEqual({ dir: 'influxdb=http://x', streams: [] });
  });

  it('a second folder is an error that names both', () => {
    expect(() => parseOutTargets(['a', 'b'])).toThrow(
      '--out b: a second records folder (already a); only prometheus-rw= and ndjson= may be given more than once',
    );
    expect(parseOutTargets(['a', 'a']).dir).toBe('a');
  });

  it.each([
    ['prometheus-rw=127.0.0.1:9090', 'expected an http:// or https:// URL'],
    ['prometheus-rw=ftp://h/x', 'expected an http:// or https:// URL, got ftp://'],
    ['prometheus-rw=', 'expected an http:// or https:// URL'],
    ['ndjson=', 'the file name is missing'],
  ])('%s is refused', (value, message) => {
    expect(() => parseOutTargets([value])).toThrow(message);
  });

  it('the same ndjson file twice is refused', () => {
    expect(() => parseOutTargets(['ndjson=x', 'ndjson=x'])).toThrow('given twice');
  });

  it("a URL's password is remembered as a secret and never in an error", () => {
    expect(() => parseOutTargets(['prometheus-rw=gopher://u:pw-streams-1@h/x'])).toThrow(/u:\*\*\*@h/);
    parseOutTargets(['prometheus-rw=https://u:pw-streams-2@h/api/v1/write']);
    expect(redactText('said pw-streams-2 twice')).toBe('said *** twice');
  });
});
