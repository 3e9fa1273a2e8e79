// When the end of a run draws its sparkline, and in which characters: a terminal, a CI log, or
// --verbose draw it; --quiet never; CI logs, NO_COLOR and non-UTF-8 locales get plain ASCII.
import { describe, expect, it } from 'vitest';
import { sparklineView, utf8Locale, verbosityOf } from '../../src/cli/verbosity.js';

const tty = { isTTY: true, columns: 120 };
const pipe = { isTTY: false };
const utf8 = { LANG: 'en_US.UTF-8' };

describe('verbosity flags', () => {
  it('quiet, verbose or neither', () => {
    expect(verbosityOf({})).toBe('normal');
    expect(verbosityOf({ quiet: true })).toBe('quiet');
    expect(verbosityOf({ verbose: true })).toBe('verbose');
  });
});

describe('the locale', () => {
  it('the first of LC_ALL, LC_CTYPE, LANG that is set decides', () => {
    expect(utf8Locale({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(utf8Locale({ LANG: 'C.utf8' })).toBe(true);
    expect(utf8Locale({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(false);
    expect(utf8Locale({ LC_ALL: '', LC_CTYPE: 'de_DE.UTF-8', LANG: 'C' })).toBe(true);
    expect(utf8Locale({})).toBe(false);
  });
});

describe('the sparkline at the end of a run', () => {
  it('on a UTF-8 terminal: block elements, as wide as the terminal allows', () => {
    expect(sparklineView('normal', tty, utf8)).toEqual({ ascii: false, columns: 80 });
    expect(sparklineView('normal', { isTTY: true, columns: 300 }, utf8)).toEqual({ ascii: false, columns: 120 });
    expect(sparklineView('normal', { isTTY: true, columns: 30 }, utf8)).toEqual({ ascii: false, columns: 20 });
  });

  it('piped somewhere that is not CI: nothing, unless --verbose', () => {
    expect(sparklineView('normal', pipe, utf8)).toBe(false);
    expect(sparklineView('verbose', pipe, utf8)).toEqual({ ascii: false, columns: 60 });
  });

  it('in a CI log (CI set): drawn, in ASCII; CI=false is not CI', () => {
    expect(sparklineView('normal', pipe, { ...utf8, CI: 'true' })).toEqual({ ascii: true, columns: 60 });
    expect(sparklineView('normal', pipe, { ...utf8, CI: 'false' })).toBe(false);
    expect(sparklineView('normal', pipe, { ...utf8, CI: '' })).toBe(false);
  });

  it('NO_COLOR or a locale that is not UTF-8: ASCII', () => {
    expect(sparklineView('normal', tty, { ...utf8, NO_COLOR: '1' })).toMatchObject({ ascii: true });
    expect(sparklineView('normal', tty, { LANG: 'C' })).toMatchObject({ ascii: true });
    expect(sparklineView('normal', tty, {})).toMatchObject({ ascii: true });
    // an empty NO_COLOR does not count (no-color.org)
    expect(sparklineView('normal', tty, { ...utf8, NO_COLOR: '' })).toMatchObject({ ascii: false });
  });

  it('--quiet: never', () => {
    expect(sparklineView('quiet', tty, utf8)).toBe(false);
    expect(sparklineView('quiet', pipe, { CI: 'true' })).toBe(false);
  });
});
