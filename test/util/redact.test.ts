// The redaction rules, both ways: secrets go, what is not a secret stays readable; and the file
// writer's own guards (owner-only mode, never outside the folder, never over an input).
import { statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactStrings, redactText, redactUrl, rememberSecrets, splitUrlPassword } from '../../src/util/redact.js';
import { redactScenario, scenarioSecrets } from '../../src/scenario/secrets.js';
import { refuseInputOverwrite, refuseOutsideDir, writeFileAtomic } from '../../src/util/atomicWrite.js';
import type { Scenario } from '../../src/scenario/types.js';
import { tempDir } from '../support/tempDir.js';

describe('redactUrl', () => {
  it('masks a password and secret-looking query parameters', () => {
    expect(redactUrl('ws://user:pw@h:1/ws?api_token=t&access_key=k&password=p&client_secret=s')).toBe(
      'ws://user:***@h:1/ws?api_token=***&access_key=***&password=***&client_secret=***',
    );
    expect(redactUrl('postgres://u:p%40ss@db/x?sslmode=require')).toBe('postgres://u:***@db/x?sslmode=require');
  });
  it('keeps a URL without secrets as it was', () => {
    expect(redactUrl('ws://127.0.0.1:8080/websocket?room=7&limit=10')).toBe('ws://127.0.0.1:8080/websocket?room=7&limit=10');
    expect(redactUrl('memory')).toBe('memory');
    expect(redactUrl('ws://user@h/ws')).toBe('ws://user@h/ws');
  });
});

describe('splitUrlPassword', () => {
  it('takes the password out of the userinfo or a password parameter, and keeps the rest', () => {
    expect(splitUrlPassword('postgres://u:pw@db:5432/x?application_name=e')).toEqual({
      url: 'postgres://u@db:5432/x?application_name=e',
      password: 'pw',
    });
    expect(splitUrlPassword('postgres://u@db/x?password=qp&sslmode=require')).toEqual({
      url: 'postgres://u@db/x?sslmode=require',
      password: 'qp',
    });
    expect(splitUrlPassword('postgres://u@db/x')).toEqual({ url: 'postgres://u@db/x', password: undefined });
  });
});

describe('redactScenario and scenarioSecrets', () => {
  const scenario = {
    name: 's',
    target: {
      kind: 'url',
      url: 'ws://u:urlpw-1@h/ws?token=q-secret',
      adapter: 'generic',
      token: 'tok-secret',
      publisherToken: 'pub-secret',
      metricsToken: 'met-secret',
      metricsUrl: 'http://h/metrics',
      tokens: ['file-a', 'file-b'],
      headers: [['Authorization', 'Bearer hdr-secret']],
      users: 0,
      generic: {
        idField: 'id',
        timeField: 'ts',
        timeUnit: 'ms',
        publish: { kind: 'http', url: 'http://h/p?key=pk-secret' },
        publishHeaders: [['X-Key', 'ph-secret']],
      },
    },
  } as unknown as Scenario;

  it('masks every secret, keeps header names and everything else', () => {
    const r = redactScenario(scenario);
    const text = JSON.stringify(r);
    for (const s of scenarioSecrets(scenario)) expect(text).not.toContain(s);
    expect(r.target).toMatchObject({
      url: 'ws://u:***@h/ws?token=***',
      headers: [['Authorization', '***']],
      metricsUrl: 'http://h/metrics',
      adapter: 'generic',
    });
    expect(JSON.stringify(scenario)).toContain('tok-secret'); // a copy: the scenario the run uses keeps them
  });

  it('lists a Bearer header’s credential alone too', () => {
    expect(scenarioSecrets(scenario)).toEqual(
      expect.arrayContaining(['Bearer hdr-secret', 'hdr-secret', 'urlpw-1', 'q-secret', 'pk-secret', 'ph-secret']),
    );
  });
});

describe('remembered secrets in free text', () => {
  it('are masked in text and in a record’s strings, histograms aside; short ones and other text stay', () => {
    rememberSecrets(['remembered-secret-1', 'abc']);
    expect(redactText('closed: bad token remembered-secret-1 (abc)')).toBe('closed: bad token *** (abc)');
    expect(redactText('ws://x:y@h/ws failed')).toBe('ws://x:***@h/ws failed');
    const rec = { reason: 'remembered-secret-1', histogram: 'HISTremembered-secret-1', n: 5 };
    expect(redactStrings(rec)).toEqual({ reason: '***', histogram: 'HISTremembered-secret-1', n: 5 });
  });
});

describe('file writes', () => {
  const dir = tempDir('write');
  it('are readable by their owner only', () => {
    writeFileAtomic(join(dir, 'a.json'), '{}');
    expect(statSync(join(dir, 'a.json')).mode & 0o777).toBe(0o600);
  });
  it('stay directly in their folder', () => {
    expect(() => refuseOutsideDir(join(dir, 'x.json'), dir)).not.toThrow();
    expect(() => refuseOutsideDir(join(dir, '..', 'x.json'), dir)).toThrow(/not a file directly in the output folder/);
    expect(() => refuseOutsideDir(join(dir, 'sub', 'x.json'), dir)).toThrow(/not a file directly in the output folder/);
  });
  it('never replace an input, by any path to it', () => {
    const input = join(dir, 'in.json');
    writeFileSync(input, '{}');
    symlinkSync(input, join(dir, 'link.json'));
    expect(() => refuseInputOverwrite(join(dir, 'link.json'), [input])).toThrow(
      /refusing to write .*link\.json: it is .*in\.json, an input/,
    );
    expect(() => refuseInputOverwrite(join(dir, '.', 'in.json'), [input])).toThrow(/an input of this command/);
    expect(() => refuseInputOverwrite(join(dir, 'a.json'), [input])).not.toThrow();
    expect(() => refuseInputOverwrite(join(dir, 'new.json'), [input])).not.toThrow();
  });
});
