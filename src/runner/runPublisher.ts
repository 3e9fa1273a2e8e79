// A run's publisher step: the publisher started and connected before any client starts.
import { UserError, EXIT_SIGINT, EXIT_UNREACHABLE } from '../util/errors.js';
import type { Scenario } from '../scenario/types.js';
import type { IdMap } from '../measurement/idMap.js';
import type { HealthSample } from './generatorHealth.js';
import type { MainToWorker } from './threadMessages.js';
import { serverPublishesItself, startPublisher } from './publisherHandle.js';
import type { RunState } from './runState.js';
import type { TargetHandle } from './target.js';
import type { Publisher } from './runContext.js';

/**
 * Starts the publisher (or stands in for it when the target emits on its own) and waits until it is
 * connected: an unreachable target or a Ctrl-C before t0 is a user error, not a record.
 */
export async function connectPublisher(
  scenario: Scenario,
  target: TargetHandle,
  state: RunState,
  idMap: IdMap,
  relay: (m: MainToWorker) => void,
  say: (line: string) => void,
): Promise<{ publisher: Publisher; headId: { value: number } }> {
  const health: HealthSample[] = [];
  const headId = { value: 0 };
  const selfEmitting = scenario.target.kind === 'url' && scenario.target.generic?.publish.kind === 'server';
  const handle = selfEmitting
    ? serverPublishesItself()
    : startPublisher(
        { url: target.url, token: target.publisherToken, scenario, users: target.users },
        {
          onIds(ranges, head, sent) {
            idMap.addAll(ranges);
            idMap.sent = sent;
            headId.value = Math.max(headId.value, head);
            relay({ type: 'ids', ranges, headId: head, sent });
          },
          onHealth: (atUs, h) => health.push({ source: 'publisher', atUs, health: h }),
          onFatal(message) {
            // refused before a single event was accepted: nothing was measured, the target is unusable
            if (idMap.knownCount === 0) state.refuse(message);
            else state.abort(message);
          },
          onCrash: (message) => state.fail(message),
        },
      );
  const publisher = Object.assign(handle, { health });
  state.onAbort(() => publisher.stop(state.abortReason ?? ''));
  try {
    headId.value = await Promise.race([publisher.connected, state.aborted]);
  } catch (err) {
    if (state.abortReason === 'interrupted') throw new UserError('interrupted before the run started: nothing was measured', EXIT_SIGINT);
    throw new UserError(`target unreachable: ${target.url}: ${(err as Error).message}`, EXIT_UNREACHABLE);
  }
  if (!selfEmitting)
    say(
      `publisher connected to ${target.url}${scenario.publisher.prefill ? ` (prefilled ${scenario.publisher.prefill} events, head ${headId.value})` : ''}`,
    );
  return { publisher, headId };
}
