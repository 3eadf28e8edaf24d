// The Angular service of docs/pacing.md ("An Angular service that paces its HTTP calls"), compiled
// here with the app (ngc, strict) so that the page's code stays correct.
import { Injectable, inject, DestroyRef } from '@angular/core';
import { HttpClient } from '@angular/common/http';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Subject, mergeMap, share } from 'rxjs';
import { RateController, levelOf, pace } from 'rxjs-backpressure';
import { fromFeedbackEvents } from 'rxjs-backpressure/webhook';

/** One sensor reading, as the API takes it. */
export interface Reading {
  readonly sensor: string;
  readonly value: number;
  readonly ts: number;
}

@Injectable({ providedIn: 'root' })
export class ReadingUploader {
  private readonly http = inject(HttpClient);
  private readonly readings = new Subject<Reading>();
  /** Readings dropped because the upload buffer was full. */
  dropped = 0;
  // 20 requests a second while ok, 10 while soft, 1 while hard (the floor); bursts of 5.
  private readonly controller = new RateController({ rate: 20, burst: 5 });

  constructor() {
    const feedback$ = fromFeedbackEvents('/api/feedback/events').pipe(share());
    this.controller.follow(levelOf(feedback$, 'readings'));
    this.readings
      .pipe(
        pace(this.controller, { maxBuffered: 1_000, overflow: 'drop-oldest', onDrop: () => this.dropped++ }),
        mergeMap((reading) => this.http.post('/api/readings', reading)), // the pace is the request rate
        takeUntilDestroyed(inject(DestroyRef)),
      )
      .subscribe();
  }

  upload(reading: Reading): void {
    this.readings.next(reading);
  }
}
