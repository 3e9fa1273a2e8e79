// Tested, or not a `none`: a run can only see blocking once something slow actually pressed on the
// server — a slow reader whose backlog outgrew the kernels between it and the server, a catch-up
// client whose backlog the server replayed, a churn of connects. A run in which none of that
// happened says nothing about head-of-line blocking, however clean its numbers look.
import { ASSUMED_SERVER_QUEUE_BYTES, PUSHBACK_HELD_SLACK_BYTES, type GroupResult, type RunRecord } from '../record/schema.js';
import { formatBytes, formatUs } from '../util/units.js';
import { hasClientsIn, phasesOf, windowOf } from './select.js';

export interface Tested {
  /** null: not measured (the record carries no pushback figures). */
  tested: boolean | null;
  detail: string;
}

/** Connections the group made during stress phases (connects in warmup or baseline pressed on nothing measured). */
function stressConnects(record: RunRecord, g: GroupResult): number {
  return phasesOf(record, 'stress').reduce((a, p) => a + (g.phases[p.name]?.connectUs?.count ?? 0), 0);
}

const HOW: Record<string, string> = {
  'server-queue': "the server's send queue full, more held by the server",
  estimated: "its receive queue full and more owed than the server's kernel holds",
  closed: 'the server closed it',
  unknown: 'how unknown',
};

/**
 * Whether the run tested the server, early enough to watch what followed. A slow reader: the server
 * itself pushed back (its queues filled, or it closed the reader after it was subscribed) at least
 * `windowUs` (hol.sustain, or half a short stress phase) before the stress phase ended; a reader the
 * server refused never held a backlog. A catch-up client: it connected during stress and was
 * replayed a backlog. Churn: it connected during stress.
 */
export function testedBy(record: RunRecord, sustainUs: number): Tested {
  const win = windowOf(record, 'stress');
  if (!win) return { tested: null, detail: 'no stress phase' };
  const windowUs = Math.min(sustainUs, (win.endUs - win.startUs) / 2);
  const latestUs = win.endUs - windowUs;
  const found: string[] = [];
  const short: string[] = [];
  let slow = false;
  let measured = false;
  let others = false; // catch-up or churn clients in stress
  for (const g of record.groups) {
    if (!hasClientsIn(record, g, 'stress')) continue;
    if (g.kind === 'slow') {
      slow = true;
      for (const c of g.clientResults ?? []) {
        if (c.refused !== undefined) {
          // refused before it held anything: whatever closed it, no backlog of its ever pressed on the server
          measured = true;
          short.push(`${g.name} #${c.id}: ${c.refused === 'connect' ? 'connect' : 'subscription'} refused, never connected: did not test`);
          continue;
        }
        const pb = c.pushback;
        if (!pb) continue;
        measured = true;
        if (pb.reachedAtUs !== null && pb.reachedAtUs <= latestUs) {
          found.push(
            `${g.name} #${c.id} pushed back ${formatUs(Math.max(0, pb.reachedAtUs - win.startUs))} into stress (${HOW[pb.how] ?? pb.how})`,
          );
        } else if (pb.reachedAtUs !== null) {
          short.push(`${g.name} #${c.id} pushed back only ${formatUs(Math.max(0, win.endUs - pb.reachedAtUs))} before stress ended`);
        } else {
          short.push(neverPushedBack(g.name, c.id, pb, win.endUs - win.startUs, windowUs));
        }
      }
    } else if (g.kind === 'catchup') {
      others = true;
      const r = g.replay;
      const connects = stressConnects(record, g);
      if (connects > 0 && r && r.expected > 0 && r.received > 0)
        found.push(`${g.name} connected ${connects} times in stress and was replayed ${r.received} of ${r.expected} backlogged events`);
      else if (connects === 0) short.push(`${g.name}: no catch-up client connected during stress, so no replay pressed on it`);
      else short.push(`${g.name}: no backlog was replayed (${r ? `${r.received} of ${r.expected}` : 'no replay'})`);
    } else if (g.kind === 'churn') {
      others = true;
      const connects = stressConnects(record, g);
      if (connects > 0) found.push(`${g.name} connected ${connects} times in stress`);
      else short.push(`${g.name}: no connection was made during stress`);
    }
  }
  if (found.length > 0) return { tested: true, detail: listed(found) };
  if (!slow && !others) return { tested: false, detail: 'nothing in stress could block: no slow, catch-up or churn clients' };
  if (slow && !measured && !others)
    return { tested: null, detail: 'whether the slow clients pushed back was not measured (the record carries no pushback figures)' };
  // here every group counted above left a line in `short`: a catch-up or churn group always does, and a
  // slow one does once its pushback was measured
  return { tested: false, detail: listed(short) };
}

/** The first few of a list, and how many more (a scenario may have hundreds of slow clients). */
function listed(items: string[], max = 3): string {
  return items.length <= max ? items.join('; ') : `${items.slice(0, max).join('; ')}; and ${items.length - max} more`;
}

function neverPushedBack(
  group: string,
  id: number,
  pb: NonNullable<GroupResult['clientResults'][number]['pushback']>,
  stressUs: number,
  windowUs: number,
): string {
  if (pb.how === 'unknown')
    return `${group} #${id}: backpressure could not be measured (no fast reader of its stream beside it, or no /proc/net/tcp)`;
  const holds = pb.rxMaxBytes + (pb.serverTxMaxBytes ?? ASSUMED_SERVER_QUEUE_BYTES) + PUSHBACK_HELD_SLACK_BYTES;
  const perSec = stressUs > 0 ? pb.owedBytes / (stressUs / 1e6) : 0;
  const kernels = `its receive queue held up to ${formatBytes(pb.rxMaxBytes)}, the server's send queue ${pb.serverTxMaxBytes === null ? `(not visible: ≤ ${formatBytes(ASSUMED_SERVER_QUEUE_BYTES)} assumed)` : `up to ${formatBytes(pb.serverTxMaxBytes)}`}`;
  const need =
    perSec > 0
      ? `at this stream's ${formatBytes(perSec)}/s a stress phase of ≥ ${formatUs((holds / perSec) * 1e6 + windowUs)}, or a higher rate × payload, would test it`
      : 'the stream carried nothing to it';
  return `${group} #${id} was owed ${formatBytes(pb.owedBytes)}, but the kernels between it and the server hold ≈ ${formatBytes(holds)} (${kernels}): the server never felt it — ${need}`;
}
