import { HttpClient } from '@angular/common/http';
import {
  ErrorHandler,
  Injectable,
  InjectionToken,
  NgZone,
  inject,
  signal,
  type OnDestroy,
} from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { firstValueFrom, map, type Observable, type Subscription } from 'rxjs';
import { WriteCoordinator, pauseWhile, submitTo, type BackpressureLevel } from 'rxjs-backpressure';
import { abortWith } from './abort-with';

/** One user interaction, sent to the server in batches. */
export interface UiEvent {
  readonly seq: number;
  readonly kind: string;
}

/** Where the batches are POSTed. */
export const INGEST_URL = new InjectionToken<string>('INGEST_URL', { factory: () => '/api/ui-events' });

/** The coordinator's settings; a test or an app may provide its own. */
export const INGEST_SETTINGS = new InjectionToken<IngestSettings>('INGEST_SETTINGS', {
  factory: () => ({ capacity: 200, batchSize: 50, flushIntervalMs: 250 }),
});

export interface IngestSettings {
  readonly capacity: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
}

/**
 * Sends UI events to the server through a WriteCoordinator: batches of at most `batchSize`, one
 * request at a time, retried on failure. The coordinator's depth (events held: queued plus in
 * flight) and level are exposed for the view, as Observables for the `async` pipe and as signals.
 * Producers are paced by the level: while it is `hard` (the server is not keeping up), `send()`
 * holds their events back instead of piling up requests.
 */
@Injectable({ providedIn: 'root' })
export class IngestService implements OnDestroy {
  private readonly http = inject(HttpClient);
  private readonly url = inject(INGEST_URL);
  private readonly settings = inject(INGEST_SETTINGS);
  private readonly errorHandler = inject(ErrorHandler);
  private readonly refusedCount = signal(0);

  // Built outside Angular's zone: the coordinator's flush timer should neither run change
  // detection on every tick nor keep the zone from becoming stable. The view still updates: the
  // async pipe and signals schedule change detection themselves, with or without zone.js.
  readonly coordinator: WriteCoordinator<UiEvent> = inject(NgZone).runOutsideAngular(() => {
    const coordinator = new WriteCoordinator<UiEvent>({
      id: 'ui-events',
      capacity: this.settings.capacity,
      batchSize: this.settings.batchSize,
      flushIntervalMs: this.settings.flushIntervalMs,
      workers: 1,
      // A full coordinator refuses rather than waits: pacing must keep it from filling up, and
      // the refusals it could not prevent are counted in `refused`.
      overflow: 'reject',
      bus: null,
      sink: async (batch, { signal }) => {
        await firstValueFrom(this.http.post(this.url, batch).pipe(abortWith(signal)));
      },
    });
    return coordinator;
  });

  readonly capacity = this.settings.capacity;
  /** The level, for the `async` pipe: the current one on subscribe, then every change. */
  readonly level$: Observable<BackpressureLevel> = this.coordinator.level$;
  /** Events held (queued plus in flight), for the `async` pipe. */
  readonly depth$: Observable<number> = this.coordinator.depth$;
  /** The same as signals; both streams emit on subscribe, so there is no initial `undefined`. */
  readonly level = toSignal(this.level$, { requireSync: true });
  readonly depth = toSignal(this.depth$, { requireSync: true });
  /** Events the coordinator refused (full); stays 0 while pacing keeps up. */
  readonly refused = this.refusedCount.asReadonly();

  /**
   * Sends every event of `events$`, paused while the level is `hard` and resumed in order when
   * it falls back (up to 10 000 events are held; more errors the stream rather than losing any).
   * `submitTo` hands each released event over synchronously (`trySubmit`), so the submit that
   * reaches `hard` stops the release before the next one; what the coordinator refuses is counted.
   */
  send(events$: Observable<UiEvent>): Subscription {
    const paused$ = this.level$.pipe(map((level) => level === 'hard'));
    return events$
      .pipe(
        pauseWhile(paused$),
        submitTo(this.coordinator, { onRefused: () => this.refusedCount.update((n) => n + 1) }),
      )
      .subscribe({
        // The source's errors, or a pause that outlasted the buffer: nothing is dropped silently.
        error: (error: unknown) => this.errorHandler.handleError(error),
      });
  }

  ngOnDestroy(): void {
    // Drain what is held (bounded by the stop timeout); what cannot be sent is dead-lettered.
    void this.coordinator.stop({ drain: true, timeoutMs: 5_000 });
  }
}
