// The replay scheduler, stepped turn by turn with a fake loop and clock: replay gets at most its
// budget of each turn, round robin, and no turn at all while live fan-out has work left.
import { describe, expect, it } from 'vitest';
import { MAX_TURNS_GIVEN_WAY, ReplayScheduler } from '../../src/server/replayScheduler.js';

/** A fake event loop: `defer` queues for the next turn; `turn()` runs what was queued before it. */
function fakeLoop() {
  let queued: (() => void)[] = [];
  return {
    defer: (fn: () => void) => queued.push(fn),
    turn(): void {
      const now = queued;
      queued = [];
      for (const fn of now) fn();
    },
    get pending(): number {
      return queued.length;
    },
  };
}

interface Fake {
  name: string;
  /** Bytes still to replay, and the bytes each event frame takes. */
  left: number;
  frame: number;
}

function setup(options: { turnBytes?: number; turnMs?: number; msPerStep?: number } = {}) {
  const loop = fakeLoop();
  let clock = 0;
  let live = false;
  const steps: { turn: number; name: string; bytes: number }[] = [];
  let turn = 0;
  const scheduler: ReplayScheduler<Fake> = new ReplayScheduler<Fake>({
    defer: loop.defer,
    now: () => clock,
    liveBusy: () => live,
    turnBytes: options.turnBytes ?? 1000,
    turnMs: options.turnMs ?? 1e9,
    step: (s, budget) => {
      clock += options.msPerStep ?? 0;
      // like the hub's step: whole frames, at least one, up to the budget
      let bytes = 0;
      while (s.left > 0 && (bytes === 0 || bytes + s.frame <= budget)) {
        bytes += s.frame;
        s.left -= s.frame;
      }
      steps.push({ turn, name: s.name, bytes });
      if (s.left > 0) scheduler.request(s);
      return bytes;
    },
  });
  return {
    scheduler,
    steps,
    setLive: (busy: boolean) => (live = busy),
    runTurn(): void {
      turn++;
      loop.turn();
    },
    get turn() {
      return turn;
    },
    loop,
  };
}

describe('ReplayScheduler', () => {
  it('runs nothing when asked, only on a later turn', () => {
    const t = setup();
    t.scheduler.request({ name: 'a', left: 500, frame: 100 });
    expect(t.steps).toEqual([]);
    t.runTurn();
    expect(t.steps).toEqual([{ turn: 1, name: 'a', bytes: 500 }]);
    t.runTurn();
    expect(t.loop.pending).toBe(0); // done: nothing left queued
  });

  it('no turn spends more than its byte budget (one frame at least), however many sessions replay', () => {
    const t = setup({ turnBytes: 1000 });
    const sessions = Array.from({ length: 5 }, (_, i) => ({ name: `s${i}`, left: 20_000, frame: 300 }));
    for (const s of sessions) t.scheduler.request(s);
    for (let i = 0; i < 200 && t.loop.pending > 0; i++) t.runTurn();
    expect(sessions.every((s) => s.left <= 0)).toBe(true);
    const perTurn = new Map<number, number>();
    for (const s of t.steps) perTurn.set(s.turn, (perTurn.get(s.turn) ?? 0) + s.bytes);
    // a step may finish the frame that crosses the budget: at most budget + one frame
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(1000 + 300);
  });

  it('shares turns round robin: every waiting session gets a step before any gets a second', () => {
    const t = setup({ turnBytes: 600 });
    const sessions = ['a', 'b', 'c'].map((name) => ({ name, left: 3000, frame: 300 }));
    for (const s of sessions) t.scheduler.request(s);
    for (let i = 0; i < 9; i++) t.runTurn();
    expect(t.steps.map((s) => s.name).join('')).toBe('abcabcabc');
    // with 600 bytes a turn and 600-byte steps, one session per turn
    expect(t.steps.slice(0, 6).map((s) => s.turn)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a turn ends when its time is spent, and the rest wait for the next turn', () => {
    const t = setup({ turnBytes: 1e9, turnMs: 2, msPerStep: 1 });
    for (const name of ['a', 'b', 'c', 'd']) t.scheduler.request({ name, left: 100, frame: 100 });
    t.runTurn();
    expect(t.steps.map((s) => s.name)).toEqual(['a', 'b']);
    t.runTurn();
    expect(t.steps.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives way to live fan-out: no replay while it has work left, and replay resumes after', () => {
    const t = setup();
    const s = { name: 'a', left: 10_000, frame: 100 };
    t.scheduler.request(s);
    t.setLive(true);
    for (let i = 0; i < 5; i++) t.runTurn();
    expect(t.steps).toEqual([]);
    expect(t.scheduler.yieldedToLive).toBe(5);
    expect(t.loop.pending).toBe(1); // still asked for
    t.setLive(false);
    t.runTurn();
    expect(t.steps).toHaveLength(1);
  });

  it('is never starved: under live work that never ends, one turn in MAX_TURNS_GIVEN_WAY + 1', () => {
    const t = setup();
    t.scheduler.request({ name: 'a', left: 1e9, frame: 100 });
    t.setLive(true);
    const turns = 10 * (MAX_TURNS_GIVEN_WAY + 1);
    for (let i = 0; i < turns; i++) t.runTurn();
    expect(t.steps).toHaveLength(10);
    expect(t.steps.map((s) => s.turn)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * (MAX_TURNS_GIVEN_WAY + 1)));
  });

  it('asking twice before a turn is one step; cancel forgets it', () => {
    const t = setup();
    const a = { name: 'a', left: 100, frame: 100 };
    const b = { name: 'b', left: 100, frame: 100 };
    t.scheduler.request(a);
    t.scheduler.request(a);
    t.scheduler.request(b);
    t.scheduler.cancel(b);
    expect(t.scheduler.waiting).toBe(1);
    t.runTurn();
    expect(t.steps.map((s) => s.name)).toEqual(['a']);
  });
});
