// The mqtt adapter's options as a user gives them: --mqtt-version and --qos on the command line,
// mqttVersion in a scenario file, and what catch-up over mqtt needs (QoS 1 messages), each refused
// with a message that names the flag or the path.
import { describe, expect, it } from 'vitest';
import { applyTargetFlags } from '../../../src/cli/targetFlags.js';
import { loadScenario, parseScenarioText } from '../../../src/scenario/load.js';

const target = { target: 'ws://127.0.0.1:9/', adapter: 'mqtt', topic: 'events', publish: 'ws' };

describe('mqtt options', () => {
  it('--mqtt-version 3.1.1 or 5 (unset: the adapter speaks 3.1.1)', () => {
    const s = applyTargetFlags(loadScenario('slow-client'), { ...target, mqttVersion: '5' });
    expect(s.target.kind === 'url' && s.target.generic?.mqttVersion).toBe('5');
    const d = applyTargetFlags(loadScenario('slow-client'), target);
    expect(d.target.kind === 'url' && d.target.generic?.mqttVersion).toBeUndefined();
    expect(() => applyTargetFlags(loadScenario('slow-client'), { ...target, mqttVersion: '4' })).toThrow(
      '--mqtt-version: expected 3.1.1 or 5, got "4"',
    );
    expect(() => applyTargetFlags(loadScenario('slow-client'), { ...target, adapter: 'nats', mqttVersion: '5' })).toThrow(
      'target.generic.mqttVersion: only for the mqtt adapter',
    );
  });

  it('mqttVersion in a scenario file: "3.1.1", "5" or 5', () => {
    const file = (v: unknown) =>
      JSON.stringify({
        name: 'm',
        target: { url: 'ws://127.0.0.1:9/', adapter: 'mqtt', generic: { idField: 'id', timeField: 'ts', topic: 't', mqttVersion: v } },
        publisher: { rate: 10, payloadBytes: 10 },
        groups: [{ name: 'fast', kind: 'fast', count: 1 }],
        phases: [
          { name: 'baseline', duration: '1s' },
          { name: 'stress', duration: '1s' },
        ],
      });
    const version = (v: unknown) => {
      const s = parseScenarioText(file(v), 'm.json');
      return s.target.kind === 'url' ? s.target.generic?.mqttVersion : undefined;
    };
    expect(version(5)).toBe('5');
    expect(version('3.1.1')).toBe('3.1.1');
    expect(() => version('3')).toThrow(/target\.generic\.mqttVersion: expected "3\.1\.1" or "5", got "3"/);
  });

  it('catch-up by persistent session: allowed with a stream of its own or evbench publishing at QoS 1, refused at QoS 0', () => {
    expect(() => applyTargetFlags(loadScenario('catch-up'), { ...target, publish: 'server' })).not.toThrow();
    expect(() => applyTargetFlags(loadScenario('catch-up'), { ...target, qos: '1' })).not.toThrow();
    expect(() => applyTargetFlags(loadScenario('catch-up'), target)).toThrow(
      'target.generic.qos: catchup over mqtt needs the events published at QoS 1 (--qos 1): a broker keeps no QoS 0 message for a session that is away',
    );
  });
});
