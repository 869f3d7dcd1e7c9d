/**
 * Store latency, store errors and the live-session count as OpenTelemetry metrics.
 *
 * `storeCallMetrics(meter)` is an `onStoreCall` listener that records every store call in a
 * duration histogram (by operation and outcome) and counts failures (by operation and error
 * code); `observeSessionCount(meter, manager)` reports `manager.countSessions()` as a gauge each
 * time the metrics are collected. Pass `metrics.getMeter("sesame")` from `@opentelemetry/api`:
 * {@link MeterLike} is the slice of its `Meter` they use, so this file needs no dependency.
 * {@link InMemoryMeter} is a tiny stand-in for tests, or a quick look without an SDK.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import { SessionManager } from "@sesame/core";
 * import { observeSessionCount, storeCallMetrics } from "./store-metrics.js";
 *
 * const meter = metrics.getMeter("sesame");
 * const manager = new SessionManager({ store, onStoreCall: storeCallMetrics(meter) });
 * observeSessionCount(meter, manager);
 * ```
 *
 * @module
 */
import type { SessionManager, StoreCall, StoreCallListener } from "@sesame/core";

/** Metric attributes, as OpenTelemetry takes them. */
export type MetricAttributes = Record<string, string | number | boolean>;

/** Options OpenTelemetry takes when an instrument is created. */
export interface InstrumentOptions {
  description?: string;
  unit?: string;
}

/** What an observable instrument's callback is handed: where to report the value. */
export interface ObservableResultLike {
  observe(value: number, attributes?: MetricAttributes): void;
}

/** The slice of an OpenTelemetry `Meter` this example uses. */
export interface MeterLike {
  createHistogram(
    name: string,
    options?: InstrumentOptions,
  ): { record(value: number, attributes?: MetricAttributes): void };
  createCounter(
    name: string,
    options?: InstrumentOptions,
  ): { add(value: number, attributes?: MetricAttributes): void };
  createObservableGauge(
    name: string,
    options?: InstrumentOptions,
  ): {
    addCallback(callback: (result: ObservableResultLike) => void | Promise<void>): void;
  };
}

/**
 * An `onStoreCall` listener that records each store call's duration in the histogram
 * `sesame.store.duration` (attributes `operation` and `outcome`: `ok` or the error code) and
 * counts failed calls in `sesame.store.errors` (attributes `operation` and `code`).
 *
 * @example
 * ```ts
 * new SessionManager({ store, onStoreCall: storeCallMetrics(metrics.getMeter("sesame")) });
 * ```
 */
export function storeCallMetrics(meter: MeterLike): StoreCallListener {
  const duration = meter.createHistogram("sesame.store.duration", {
    description: "Duration of session store calls, retries included.",
    unit: "ms",
  });
  const errors = meter.createCounter("sesame.store.errors", {
    description: "Session store calls that failed or timed out.",
  });
  return ({ op, ms, ok, code }: StoreCall): void => {
    duration.record(ms, { operation: op, outcome: ok ? "ok" : (code ?? "error") });
    if (!ok) errors.add(1, { operation: op, code: code ?? "error" });
  };
}

/**
 * Reports `manager.countSessions()` as the gauge `sesame.sessions.live` whenever the metrics
 * are collected (typically once a minute). A failed count reports nothing that round.
 *
 * @example
 * ```ts
 * observeSessionCount(metrics.getMeter("sesame"), manager);
 * ```
 */
export function observeSessionCount(
  meter: MeterLike,
  manager: Pick<SessionManager, "countSessions">,
): void {
  const gauge = meter.createObservableGauge("sesame.sessions.live", {
    description: "Live sessions in the store.",
  });
  gauge.addCallback(async (result) => {
    const count = await manager.countSessions().catch(() => null);
    if (count !== null) result.observe(count);
  });
}

/**
 * A tiny in-memory {@link MeterLike}: it keeps every recorded value by instrument name and
 * attributes, and runs gauge callbacks on {@link InMemoryMeter.collect}.
 *
 * @example
 * ```ts
 * const meter = new InMemoryMeter();
 * const listener = storeCallMetrics(meter);
 * listener({ op: "get", ms: 1.5, ok: true });
 * meter.values("sesame.store.duration", { operation: "get", outcome: "ok" }); // [1.5]
 * ```
 */
export class InMemoryMeter implements MeterLike {
  readonly #values = new Map<string, number[]>();
  readonly #callbacks = new Map<string, Array<(result: ObservableResultLike) => unknown>>();

  createHistogram(name: string): { record(value: number, attributes?: MetricAttributes): void } {
    return { record: (value, attributes) => this.#push(name, value, attributes) };
  }

  createCounter(name: string): { add(value: number, attributes?: MetricAttributes): void } {
    return { add: (value, attributes) => this.#push(name, value, attributes) };
  }

  createObservableGauge(name: string): {
    addCallback(callback: (result: ObservableResultLike) => void | Promise<void>): void;
  } {
    const callbacks = this.#callbacks.get(name) ?? [];
    this.#callbacks.set(name, callbacks);
    return { addCallback: (callback) => callbacks.push(callback) };
  }

  /** Runs every gauge callback, as an SDK's collection cycle does. */
  async collect(): Promise<void> {
    for (const [name, callbacks] of this.#callbacks) {
      for (const callback of callbacks) {
        await callback({ observe: (value, attributes) => this.#push(name, value, attributes) });
      }
    }
  }

  /** Every value recorded under `name` with exactly these attributes, oldest first. */
  values(name: string, attributes: MetricAttributes = {}): number[] {
    return this.#values.get(seriesKey(name, attributes)) ?? [];
  }

  #push(name: string, value: number, attributes: MetricAttributes = {}): void {
    const key = seriesKey(name, attributes);
    const values = this.#values.get(key) ?? [];
    values.push(value);
    this.#values.set(key, values);
  }
}

/** One series' key: the instrument name and its attributes, sorted by name. */
function seriesKey(name: string, attributes: MetricAttributes): string {
  const sorted = Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([name, sorted]);
}
