import { AsyncPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { IngestService } from './ingest.service';

/**
 * Shows how much the app is holding for the server: the level through the `async` pipe, the
 * depth and the pause notice through signals. OnPush and zoneless-ready: both kinds of binding
 * schedule change detection on their own.
 */
@Component({
  selector: 'app-ingest-status',
  imports: [AsyncPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let level = (ingest.level$ | async) ?? 'ok';
    <p class="level" [attr.data-level]="level">Server pressure: {{ level }}</p>
    <p class="depth">{{ ingest.depth() }} of {{ ingest.capacity }} events waiting</p>
    <progress [value]="ingest.depth()" [max]="ingest.capacity"></progress>
    @if (paused()) {
      <p class="paused" role="status">Sending paused until the server catches up</p>
    }
    @if (ingest.refused() > 0) {
      <p class="refused" role="alert">{{ ingest.refused() }} events refused</p>
    }
  `,
})
export class IngestStatusComponent {
  protected readonly ingest = inject(IngestService);
  protected readonly paused = computed(() => this.ingest.level() === 'hard');
}
