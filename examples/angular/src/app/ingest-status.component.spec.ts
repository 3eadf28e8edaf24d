import { provideHttpClient } from '@angular/common/http';
import {
  HttpTestingController,
  provideHttpClientTesting,
  type TestRequest,
} from '@angular/common/http/testing';
import { NgZone, ɵNoopNgZone as NoopNgZone } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { from } from 'rxjs';
import { IngestStatusComponent } from './ingest-status.component';
import { INGEST_SETTINGS, INGEST_URL, IngestService, type UiEvent } from './ingest.service';

// jest.config.js runs this file twice: with setup-zoneless.ts and with setup-zone.ts.
const withZone = typeof (globalThis as { Zone?: unknown }).Zone !== 'undefined';
const URL = '/test/ui-events';
const CAPACITY = 20; // hard at 16 held events (80 %), back to soft below 14, to ok below 8

describe(`IngestStatusComponent (${withZone ? 'zone.js' : 'zoneless'})`, () => {
  let fixture: ComponentFixture<IngestStatusComponent>;
  let server: HttpTestingController;
  let ingest: IngestService;

  const element = (selector: string): HTMLElement | null =>
    (fixture.nativeElement as HTMLElement).querySelector<HTMLElement>(selector);
  const text = (selector: string): string | undefined => element(selector)?.textContent?.trim();
  const shownLevel = (): string | null | undefined => element('.level')?.getAttribute('data-level');

  /** The next POST the coordinator makes, within two seconds. */
  async function nextRequest(): Promise<TestRequest> {
    for (let waited = 0; waited < 2_000; waited += 5) {
      const [request, ...more] = server.match(URL);
      expect(more).toHaveLength(0); // one worker: never two requests at once
      if (request) return request;
      await sleep(5);
    }
    throw new Error(`expected a POST to ${URL} within 2000 ms, found none (depth ${ingest.depth()})`);
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Waits, up to one second, until `done()` holds; the coordinator settles on real timers. */
  async function until(done: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !done(); waited += 5) {
      if (waited >= 1_000) throw new Error(`expected ${what} within 1000 ms`);
      await sleep(5);
    }
  }

  /** Asserts that the DOM shows the service's current level and depth once rendering is done. */
  async function expectRendered(): Promise<void> {
    const matches = () =>
      shownLevel() === ingest.level() &&
      text('.depth') === `${ingest.depth()} of ${CAPACITY} events waiting` &&
      (element('.paused') !== null) === (ingest.level() === 'hard');
    for (let waited = 0; waited < 1_000 && !matches(); waited += 5) {
      await fixture.whenStable();
      if (!matches()) await sleep(5);
    }
    expect(shownLevel()).toBe(ingest.level());
    expect(text('.depth')).toBe(`${ingest.depth()} of ${CAPACITY} events waiting`);
    expect(element('.paused') !== null).toBe(ingest.level() === 'hard');
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: INGEST_URL, useValue: URL },
        { provide: INGEST_SETTINGS, useValue: { capacity: CAPACITY, batchSize: 5, flushIntervalMs: 5 } },
      ],
    });
    server = TestBed.inject(HttpTestingController);
    ingest = TestBed.inject(IngestService);
    fixture = TestBed.createComponent(IngestStatusComponent);
    fixture.autoDetectChanges();
    await fixture.whenStable();
  });

  afterEach(() => server.verify());

  it(`runs ${withZone ? 'inside a real NgZone' : 'without any zone'}`, () => {
    expect(TestBed.inject(NgZone) instanceof NoopNgZone).toBe(!withZone);
  });

  it('starts at ok with nothing waiting', () => {
    expect(shownLevel()).toBe('ok');
    expect(text('.level')).toBe('Server pressure: ok');
    expect(text('.depth')).toBe(`0 of ${CAPACITY} events waiting`);
    expect(element('.paused')).toBeNull();
  });

  it('shows the level going ok -> hard -> ok while the server answers, and holds the producer back while hard', async () => {
    const events: UiEvent[] = Array.from({ length: 50 }, (_, seq) => ({ seq, kind: 'click' }));
    const sending = ingest.send(from(events));

    // The first 16 events reach 80 % of the capacity: hard, and the other 34 are held back.
    await fixture.whenStable();
    expect(shownLevel()).toBe('hard');
    expect(text('.level')).toBe('Server pressure: hard');
    expect(text('.depth')).toBe(`16 of ${CAPACITY} events waiting`);
    expect(text('.paused')).toBe('Sending paused until the server catches up');
    expect((element('progress') as HTMLProgressElement).value).toBe(16);

    // The server answers one batch at a time; every step is rendered.
    const received: UiEvent[] = [];
    const levels: string[] = ['hard'];
    while (received.length < events.length) {
      const request = await nextRequest();
      // The coordinator has handed out the next batch: what the view shows must have caught up.
      await expectRendered();
      expect(ingest.depth()).toBeLessThanOrEqual(CAPACITY);
      if (levels.at(-1) !== shownLevel()) levels.push(shownLevel()!);
      const batch = request.request.body as UiEvent[];
      expect(request.request.method).toBe('POST');
      expect(batch.length).toBeGreaterThan(0);
      expect(batch.length).toBeLessThanOrEqual(5);
      received.push(...batch);
      request.flush(null);
    }
    await until(() => ingest.depth() === 0, 'every event to have left the coordinator');
    await expectRendered();
    if (levels.at(-1) !== shownLevel()) levels.push(shownLevel()!);

    expect(received.map((event) => event.seq)).toEqual(events.map((event) => event.seq));
    expect(levels[0]).toBe('hard');
    expect(levels).toContain('soft');
    expect(levels.at(-1)).toBe('ok');
    expect(text('.level')).toBe('Server pressure: ok');
    expect(text('.depth')).toBe(`0 of ${CAPACITY} events waiting`);
    expect(element('.paused')).toBeNull();
    expect(element('.refused')).toBeNull();
    expect(ingest.refused()).toBe(0);
    expect(ingest.coordinator.health()).toMatchObject({ written: 50, rejected: 0, deadLettered: 0 });
    sending.unsubscribe();
  });
});
