// What the TSDoc examples in lib/ take from the reader's own program, each with the type the reader
// would have. spec/docs/tsdoc-examples.spec.ts imports from here every name an example uses but
// neither declares nor gets from rxjs-backpressure or rxjs; a name missing here fails the check, so an
// example cannot lean on something nobody wrote down. Nothing here runs: it is types only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Application } from 'express';
import type { Gauge, Histogram, Registry as PromRegistry } from 'prom-client';
import type { MeterProvider as OtelMeterProvider } from '@opentelemetry/sdk-metrics';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Observable, SchedulerLike } from 'rxjs';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import type {
  BoundedQueue,
  CircuitBreaker,
  CircuitPermit,
  FeedbackBus,
  FeedbackEvent,
  RateController,
  SinkFunction,
  WriteCoordinator,
} from 'rxjs-backpressure';
import type { FeedbackTransport } from '../../lib/fleet/feedback-transport.js';
import type { BatchWriterConfig } from '../../lib/coordinator/batch-writer.js';
import type { PressureSignalConfig } from '../../lib/coordinator/pressure-signal.js';
import type { WorkSource } from '../../lib/coordinator/worker-pool.js';
import type { AdmissionTarget } from '../../lib/queue/admission.js';
import type { CoordinatorCore } from '../../lib/coordinator/coordinator-core.js';
import type { ConcurrencyLimit } from '../../lib/coordinator/concurrency-limit.js';
import type { CoordinatorClosedError, OverflowStrategy } from 'rxjs-backpressure';
import type { FileDeadLetterQueue, FeedbackReceiver } from 'rxjs-backpressure/node';
import type { EventSourceConstructor, HttpFeedbackBroadcaster } from 'rxjs-backpressure/webhook';

// Modules an example uses as a reader would import them.
export { default as http } from 'node:http';
export { createReadStream } from 'node:fs';
export { pipeline } from 'node:stream/promises';
export { Redis } from 'ioredis';
export { Registry } from 'prom-client';
export { MeterProvider } from '@opentelemetry/sdk-metrics';
export { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
/** The `split2` package: a Transform that splits a byte stream into parsed lines. */
export declare function split2(parse: (line: string) => unknown): NodeJS.ReadWriteStream;
/** A polyfill's EventSource constructor (e.g. the `eventsource` package's). */
export declare const EventSourcePolyfill: EventSourceConstructor;

/** The record every example stores: one market-data tick (rows, readings and bars alike). */
export interface Tick {
  readonly symbol: string;
  readonly price: number;
  readonly ts: number;
}
export type Row = Tick;
export type Reading = Tick;

// The reader's data and producers.
export declare const item: Tick;
export declare const tick: Tick;
export declare const row: Tick;
export declare const rows: Tick[];
export declare const items: Tick[];
export declare const batch: readonly Tick[];
export declare const ticks: AsyncIterable<Tick>;
export declare const ticks$: Observable<Tick>;
export declare const rows$: Observable<Tick>;
export declare const bars$: Observable<Tick>;
export declare const readings$: Observable<Tick>;
export declare const events$: Observable<Tick>;
export declare const source$: Observable<Tick>;
export declare const marketData$: Observable<Tick>;
export declare const trades$: Observable<Tick>;
export declare const quotes$: Observable<Tick>;
export declare const socket: WebSocket;
export declare function sendNextBatch(): void;
export declare function pollAndSend(): Promise<void>;
export declare const readable: ReadableStream<Tick>;
export declare const depth$: Observable<number>;
export declare const paused$: Observable<boolean>;
export declare const currentDepth: number;
export declare const producer: { pause(): void; resume(): void };
export declare const source: Readable;
export declare function fetchNewOrders(): Promise<Tick[]>;
/** Turns text chunks into one parsed value per line. */
export declare function ndjsonLines(): TransformStream<string, Tick>;

// The reader's store and its wiring.
export declare const db: {
  insert(
    rows: readonly Tick[],
    options: { signal: AbortSignal | { readonly aborted: boolean } },
  ): Promise<void>;
};
export declare const sink: SinkFunction<Tick>;
export declare const writeRows: SinkFunction<Tick>;
export declare const rowsSink: SinkFunction<Tick>;
export declare const ticksSink: SinkFunction<Tick>;
/** Writes rows into IndexedDB in one readwrite transaction, aborted with `signal`. */
export declare const database: IDBDatabase;
export declare function putRows(
  db: IDBDatabase,
  rows: readonly Tick[],
  signal: AbortSignal | { readonly aborted: boolean },
): Promise<void>;
export declare function write(batch: readonly Tick[]): Promise<void>;
export declare const coordinator: WriteCoordinator<Tick>;
/** Two more coordinators of one process, e.g. for bars and quotes. */
export declare const bars: WriteCoordinator<Tick>;
export declare const quotes: WriteCoordinator<Tick>;
export declare const queue: BoundedQueue<Tick>;
export declare const bus: FeedbackBus;
export declare const feedback$: Observable<FeedbackEvent>;
export declare const event: FeedbackEvent;
export declare const breaker: CircuitBreaker;
export declare const permit: CircuitPermit;
export declare const controller: RateController;
export declare const deadLetter: FileDeadLetterQueue<Tick>;
export declare const broadcaster: HttpFeedbackBroadcaster;
export declare const receiver: FeedbackReceiver;
export declare const transport: FeedbackTransport;
export declare const connection: NatsConnection;
export declare const nc: NatsConnection;
export declare const scheduler: SchedulerLike;
export declare const testScheduler: TestScheduler;
export declare const cold: RunHelpers['cold'];
export declare const signal: AbortSignal;
export declare const timeoutMs: number;
export declare const error: Error;
export declare function isRetryable(error: unknown): boolean;

// The reader's HTTP side.
export declare const app: Application;
export declare const req: IncomingMessage;
export declare const res: ServerResponse;
export declare const request: Request;
export declare const url: string;
export declare const body: string;
export declare const rawBody: string;
export declare const message: string;
export declare const header: string;
export declare const secret: string;
export declare const token: string;
export declare const input: string;
export declare const env: Record<string, string | undefined>;
export declare function requireEnv(name: string): string;
export declare function respond(status: number, message: string): void;

// The reader's logging, metrics and UI.
type LogFunction = (...args: unknown[]) => void;
export declare const log: LogFunction & { info: LogFunction; warn: LogFunction; error: LogFunction };
export declare const logger: { info: LogFunction; warn: LogFunction; error: LogFunction };
export declare const metrics: {
  increment(name: string, labels?: Record<string, string>): void;
  gauge(name: string, value: number): void;
  timing(name: string, ms: number, labels?: Record<string, string | number>): void;
  record(event: FeedbackEvent): Promise<void>;
};
export declare const registry: PromRegistry;
export declare const provider: OtelMeterProvider;
export declare const gauge: Gauge;
export declare const histogram: Histogram;
export declare const badge: HTMLElement;
export declare function showBanner(text: string): void;
export declare function alert(text: string): void;
export declare function send(tick: Tick): void;
export declare function route(tick: Tick): void;
export declare function report(error: unknown): void;
export declare function reportRefusal(value: unknown, error: unknown): void;
export declare function reportError(error: unknown): void;
export declare function retryLater(items: Tick | readonly Tick[]): void;
export declare function sleep(ms: number): Promise<void>;

// What the examples of internal classes take from the example of their configuration.
export declare const writerConfig: BatchWriterConfig<Tick>;
export declare const signalConfig: PressureSignalConfig;
export declare const workSource: WorkSource<Tick[]>;
export declare const admissionTarget: AdmissionTarget<number>;
export declare const core: CoordinatorCore<Tick>;
export declare const law: ConcurrencyLimit;
/** The error a stop refuses and dead-letters with (`beginStop`'s result). */
export declare const closed: CoordinatorClosedError;
export declare const startedAt: number;
export declare const capacity: number;
export declare const overflow: OverflowStrategy;

// Byte-weighted examples: payloads and the coordinator that uploads them.
export declare const payload: Buffer;
export declare const uploads: WriteCoordinator<Buffer>;
export declare const uploadChunks: SinkFunction<Buffer>;
export declare function uploadInParts(payload: Buffer): Promise<void>;
export declare function upload(
  batch: readonly Buffer[],
  options: { signal: AbortSignal | { readonly aborted: boolean } },
): Promise<void>;
export declare const otherBus: FeedbackBus;
export declare const limitGauge: Gauge;
