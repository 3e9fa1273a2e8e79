// A client's age every tick, and a group's: the youngest (everyone frozen together) and the oldest.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addGroupAges,
  addLag,
  AgeTicks,
  combineAges,
  combineLags,
  groupAges,
  LagTicks,
  NO_CLIENT,
  TICK_US,
  tickAtOrAfter,
  type GroupAges,
} from '../../src/measurement/ageTicks.js';
import { CoveredSpan } from '../../src/measurement/coveredSpan.js';

const T0 = 5_000_000_000;
const END = T0 + 1_000_000; // 100 ticks

describe('AgeTicks', () => {
  it('an event outstanding 300 ms: the ticks it spans age from its intended time, the others stay 0', () => {
    const a = new AgeTicks(T0, END, T0);
    a.span(T0 + 100_000, T0 + 400_000);
    expect(a.ages[9]).toBe(0);
    expect(a.ages[10]).toBe(0); // the tick at the intended instant: age 0
    expect(a.ages[11]).toBe(TICK_US);
    expect(a.ages[39]).toBe(290_000);
    expect(a.ages[40]).toBe(0); // delivered at that instant
  });

  it('an older event delivered later raises the ticks a younger one covered', () => {
    const a = new AgeTicks(T0, END, T0);
    a.span(T0 + 200_000, T0 + 250_000);
    a.span(T0 + 100_000, T0 + 300_000);
    expect(a.ages[24]).toBe(140_000);
    expect(a.ages[29]).toBe(190_000);
  });

  it('equals a brute-force maximum over spans, whatever their order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 300_000 })), { maxLength: 30 }),
        (spans) => {
          const a = new AgeTicks(T0, END, T0);
          for (const [from, len] of spans) a.span(T0 + from, T0 + from + len);
          for (let j = 0; j < a.ages.length; j++) {
            const tau = T0 + j * TICK_US;
            let want = 0;
            for (const [from, len] of spans) if (T0 + from <= tau && tau < T0 + from + len) want = Math.max(want, tau - T0 - from);
            if (a.ages[j] !== want) return false;
          }
          return true;
        },
      ),
    );
  });
});

describe('CoveredSpan', () => {
  const spans = fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 80 })), { maxLength: 30 });

  it('recording each span only from where it says gives the maximum age of recording every span whole', () => {
    fc.assert(
      fc.property(spans, (list) => {
        const whole = new Array<number>(300).fill(0);
        const cut = new Array<number>(300).fill(0);
        const covered = new CoveredSpan();
        for (const [from, len] of list) {
          const to = from + len;
          for (let t = from; t < to; t++) whole[t] = Math.max(whole[t]!, t - from);
          for (let t = covered.recordFrom(from, to); t < to; t++) cut[t] = Math.max(cut[t]!, t - from);
        }
        expect(cut).toEqual(whole);
      }),
    );
  });

  it('starts where the shortcut the stall tracker and the ticks each wrote inline started', () => {
    fc.assert(
      fc.property(spans, (list) => {
        const covered = new CoveredSpan();
        let untilUs = -Infinity;
        let fromUs = -Infinity;
        for (const [from, len] of list) {
          const to = from + len;
          const start = from >= fromUs ? Math.max(from, untilUs) : from;
          if (to >= untilUs) [untilUs, fromUs] = [to, from];
          expect(covered.recordFrom(from, to)).toBe(start);
        }
      }),
    );
  });

  it('a younger span inside a recorded one needs nothing; an older one all of it', () => {
    const c = new CoveredSpan();
    expect(c.recordFrom(100, 300)).toBe(100);
    expect(c.recordFrom(150, 250)).toBe(300); // nothing left to record: start at or past its end
    expect(c.recordFrom(200, 400)).toBe(300);
    expect(c.recordFrom(50, 120)).toBe(50);
  });
});

describe('groupAges', () => {
  it('together is the youngest age of the clients owed events at that tick; any the oldest', () => {
    const a = new AgeTicks(T0, END, T0);
    const b = new AgeTicks(T0, END, T0 + 500_000); // joins half way
    a.span(T0, T0 + 800_000);
    b.span(T0 + 500_000, T0 + 700_000);
    const g = groupAges([a, b], 100);
    expect(g.together[30]).toBe(300_000); // only a is owed events then
    expect(g.together[60]).toBe(100_000);
    expect(g.any[60]).toBe(600_000);
    expect(g.together[75]).toBe(0); // b has everything
  });

  it('ticks after a client left are not its own; ticks with nobody are marked', () => {
    const a = new AgeTicks(T0, END, T0 + 200_000);
    a.leave(T0 + 500_000);
    const g = groupAges([a], 100);
    expect(g.together[10]).toBe(NO_CLIENT);
    expect(g.together[30]).toBe(0);
    expect(g.together[60]).toBe(NO_CLIENT);
  });

  it('workers add: the youngest of the youngest, the oldest of the oldest', () => {
    const a = new AgeTicks(T0, END, T0);
    a.span(T0, T0 + 500_000);
    const b = new AgeTicks(T0, END, T0);
    b.span(T0 + 200_000, T0 + 300_000);
    const into = groupAges([a], 100);
    addGroupAges(into, groupAges([b], 100));
    expect(into.clients).toBe(2);
    expect(into.together[25]).toBe(50_000);
    expect(into.any[25]).toBe(250_000);
    expect(into.together[40]).toBe(0);
  });
});

describe('adding workers whose ticks differ', () => {
  it("a worker with no client owed events at a tick leaves the other worker's ages there as they were", () => {
    const a = new AgeTicks(T0, END, T0);
    a.span(T0, T0 + 500_000);
    const late = new AgeTicks(T0, END, T0 + 300_000); // its client is owed events from tick 30 only
    const into = groupAges([a], 100);
    addGroupAges(into, groupAges([late], 100));
    expect(into.together[20]).toBe(200_000);
    expect(into.any[20]).toBe(200_000);
    expect(into.together[35]).toBe(0); // the late client has everything
    expect(into.any[35]).toBe(350_000);
  });

  it('a worker nobody in this one was owed events at fills the ticks it has', () => {
    const into = groupAges([], 100);
    const b = new AgeTicks(T0, END, T0);
    b.span(T0, T0 + 200_000);
    addGroupAges(into, groupAges([b], 100));
    expect(into.together[15]).toBe(150_000);
    expect(into.any[15]).toBe(150_000);
  });

  it('a shorter series adds into the ticks it has and leaves the rest', () => {
    const a = new AgeTicks(T0, END, T0);
    a.span(T0, T0 + 900_000);
    const into = groupAges([a], 100);
    const b = new AgeTicks(T0, T0 + 500_000, T0);
    addGroupAges(into, groupAges([b], 50));
    expect(into.together[40]).toBe(0);
    expect(into.together[60]).toBe(600_000);
    expect(into.any[60]).toBe(600_000);
  });

  it('a client ticks only up to the length asked for', () => {
    const a = new AgeTicks(T0, END, T0);
    a.span(T0, T0 + 900_000);
    const g = groupAges([a], 50);
    expect(g.together).toHaveLength(50);
    expect(g.together[49]).toBe(490_000);
  });
});

describe('tickAtOrAfter', () => {
  it('the tick at an instant, the next one just after it, and tick 0 for anything up to t0', () => {
    expect(tickAtOrAfter(T0, T0 - 5)).toBe(0);
    expect(tickAtOrAfter(T0, T0)).toBe(0);
    expect(tickAtOrAfter(T0, T0 + 1)).toBe(1);
    expect(tickAtOrAfter(T0, T0 + TICK_US)).toBe(1);
    expect(tickAtOrAfter(T0, T0 + TICK_US + 1)).toBe(2);
  });
});

describe('a client that leaves', () => {
  it('a second leave later does not give it back the ticks it left; an earlier one takes more', () => {
    const a = new AgeTicks(T0, END, T0);
    a.leave(T0 + 500_000);
    a.leave(T0 + 800_000);
    expect(a.untilTick).toBe(50);
    a.leave(T0 + 300_000);
    expect(a.untilTick).toBe(30);
  });

  it('a run that ends before it starts has no ticks; a client joining before t0 owns them from tick 0', () => {
    expect(new AgeTicks(T0, T0 - 50_000, T0).ages).toHaveLength(0);
    expect(new LagTicks(T0, T0 - 50_000).lag).toHaveLength(0);
    const early = new AgeTicks(T0, END, T0 - 50_000);
    expect(early.fromTick).toBe(0);
    expect(early.untilTick).toBe(100);
  });
});

describe('LagTicks', () => {
  it('a timer 120 ms late explains up to 120 ms at every tick it skipped, nothing elsewhere', () => {
    const l = new LagTicks(T0, END);
    l.late(T0 + 300_000, T0 + 420_000);
    expect(l.lag[29]).toBe(0);
    expect(l.lag[30]).toBe(120_000);
    expect(l.lag[42]).toBe(120_000);
    expect(l.lag[43]).toBe(0);
  });
});

describe('LagTicks, more', () => {
  it('something on time or early explains nothing', () => {
    const l = new LagTicks(T0, END);
    l.late(T0 + 300_000, T0 + 300_000);
    l.late(T0 + 300_000, T0 + 200_000);
    expect(l.lag.every((v) => v === 0)).toBe(true);
  });

  it('overlapping lateness keeps the worst at each tick', () => {
    const l = new LagTicks(T0, END);
    l.late(T0 + 100_000, T0 + 400_000);
    l.late(T0 + 300_000, T0 + 350_000);
    expect(l.lag[32]).toBe(300_000);
    expect(l.lag[10]).toBe(300_000);
  });

  it('lateness before t0 and past the end is clipped to the run', () => {
    const l = new LagTicks(T0, END);
    l.late(T0 - 200_000, T0 + 50_000);
    l.late(END - 20_000, END + 500_000);
    expect(l.lag[0]).toBe(250_000);
    expect(l.lag[5]).toBe(250_000);
    expect(l.lag[6]).toBe(0);
    expect(l.lag[98]).toBe(520_000);
    expect(l.lag).toHaveLength(100);
  });
});

describe('combineAges and combineLags: many parts as one', () => {
  const ticks = (n: number, f: (j: number) => number): Uint32Array => Uint32Array.from({ length: n }, (_, j) => f(j));

  it("the ages of several workers: what adding each into an empty series of the first one's length gave, when all are as long", () => {
    const parts = [0, 1, 2].map((w) => ({
      clients: w + 1,
      together: ticks(100, (j) => ((j + w) % 7 === 0 ? NO_CLIENT : j * 1000 + w)),
      any: ticks(100, (j) => ((j + w) % 5 === 0 ? NO_CLIENT : j * 2000 - w)),
    }));
    const into = { clients: 0, together: parts[0]!.together.slice().fill(NO_CLIENT), any: parts[0]!.any.slice().fill(NO_CLIENT) };
    for (const p of parts) addGroupAges(into, p);
    expect(combineAges(parts)).toEqual(into);
    expect(combineAges(parts).clients).toBe(6);
  });

  it('as long as the longest part (a shorter one adds only the ticks it has); nothing at all is an empty series', () => {
    const long = { clients: 1, together: ticks(10, () => 500), any: ticks(10, () => 500) };
    const short = { clients: 2, together: ticks(4, () => 100), any: ticks(4, () => 900) };
    const c = combineAges([short, long]);
    expect([...c.together]).toEqual([100, 100, 100, 100, 500, 500, 500, 500, 500, 500]);
    expect([...c.any]).toEqual([900, 900, 900, 900, 500, 500, 500, 500, 500, 500]);
    expect(combineAges([])).toEqual({ clients: 0, together: new Uint32Array(0), any: new Uint32Array(0) });
  });

  it('lags: the worst tick by tick, as long as the longest', () => {
    expect([...combineLags([Uint32Array.from([0, 50, 300, 7]), Uint32Array.from([10, 40, 500])])]).toEqual([10, 50, 500, 7]);
    expect(combineLags([])).toEqual(new Uint32Array(0));
  });
});

describe('addLag', () => {
  it("the worst of two threads' lags, tick by tick, over the ticks both have", () => {
    const into = Uint32Array.from([0, 50, 300, 7]);
    addLag(into, Uint32Array.from([10, 40, 500]));
    expect([...into]).toEqual([10, 50, 500, 7]);
  });
});

describe('LagTicks marks [due, at] only', () => {
  it('a lateness ending between two ticks stops at the tick before it; one ending on a tick includes that tick', () => {
    const between = new LagTicks(T0, END);
    between.late(T0 + 300_000, T0 + 425_000);
    expect(between.lag[42]).toBe(125_000);
    expect(between.lag[43]).toBe(0); // 430 ms is after 425 ms: the thread had caught up
    const onTick = new LagTicks(T0, END);
    onTick.late(T0 + 300_000, T0 + 430_000);
    expect(onTick.lag[43]).toBe(130_000);
    expect(onTick.lag[44]).toBe(0);
  });
});

describe('the youngest and the oldest, whatever order the clients come in', () => {
  // four clients with an event outstanding since T0, T0 + 100 ms, ... : at tick 50 their ages differ
  const since = (ms: number): AgeTicks => {
    const c = new AgeTicks(T0, END, T0);
    c.span(T0 + ms * 1000, T0 + 600_000);
    return c;
  };

  it('neither the first nor the last client decides a tick: together is the youngest, any the oldest', () => {
    for (const order of [
      [200, 300, 0, 100],
      [0, 300, 100, 200],
      [300, 0, 200, 100],
    ]) {
      const g = groupAges(order.map(since), 100);
      expect(g.together[50]).toBe(200_000); // the client owed since 300 ms
      expect(g.any[50]).toBe(500_000); // the client owed since t0
    }
  });

  it('adding a worker with older ages raises any and leaves together; one with younger ages lowers together and leaves any', () => {
    const middle = (): GroupAges => groupAges([since(100), since(200)], 100); // at tick 50: 300 ms and 400 ms
    const older = middle();
    addGroupAges(older, groupAges([since(0)], 100));
    expect(older.together[50]).toBe(300_000);
    expect(older.any[50]).toBe(500_000);
    const younger = middle();
    addGroupAges(younger, groupAges([since(300)], 100));
    expect(younger.together[50]).toBe(200_000);
    expect(younger.any[50]).toBe(400_000);
  });

  it('the tick at which a client left is no longer its own; the one before is', () => {
    const a = new AgeTicks(T0, END, T0);
    a.leave(T0 + 500_000);
    const g = groupAges([a], 100);
    expect(g.together[49]).toBe(0);
    expect(g.together[50]).toBe(NO_CLIENT);
    expect(g.any[50]).toBe(NO_CLIENT);
  });

  it('a shorter series added into ticks nobody was owed leaves the ticks past its end marked as nobody', () => {
    const into = groupAges([], 100);
    addGroupAges(into, groupAges([since(0)], 50));
    expect(into.together[49]).toBe(490_000);
    expect(into.together[50]).toBe(NO_CLIENT);
    expect(into.any[50]).toBe(NO_CLIENT);
    expect(into.together[99]).toBe(NO_CLIENT);
  });
});
