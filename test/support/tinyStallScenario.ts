// The smallest scenario with a verdict to reach: three fast readers, and a stalled reader that joins
// in stress. 7 s of light load against the embedded isolated server (a busy machine may still call
// it invalid). Shared by the end-to-end tests that need a real run but not a particular result;
// `o` shortens the phases or changes the readers and the payload where a test needs it.
export function tinyStallScenario(
  name: string,
  o: { fast?: number; payloadBytes?: number; baseline?: string; stress?: string } = {},
): object {
  return {
    name,
    description: `${o.fast ?? 3} fast readers; one stalled reader joins in stress`,
    target: { embedded: { mode: 'isolated' } },
    publisher: { rate: 100, payloadBytes: o.payloadBytes ?? 512 },
    groups: [
      { name: 'fast', kind: 'fast', count: o.fast ?? 3 },
      { name: 'stalled', kind: 'slow', behaviour: 'stall', count: 1, phases: ['stress'] },
    ],
    phases: [
      { name: 'warmup', duration: '1s' },
      { name: 'baseline', duration: o.baseline ?? '3s' },
      { name: 'stress', duration: o.stress ?? '3s' },
    ],
  };
}
