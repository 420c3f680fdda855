// A Prometheus histogram fed with bucket counts counted elsewhere (the proxy workers count their
// requests' durations per bucket; each scrape adds those counts here), which prom-client's
// Histogram cannot take without one observe() per request. Registered like any prom-client
// metric: the registry asks get() for the same shape a Histogram gives.
import type { Registry } from 'prom-client';
import { bucketOf } from '../l7/request-metrics.js';

type Labels = Record<string, string>;

interface Series { labels: Labels; counts: Float64Array; sum: number }

export class MergedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private series = new Map<string, Series>();

  /** `buckets`: upper bounds, ascending (+Inf is implied). */
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[], registers: Registry[]) {
    for (const r of registers) r.registerMetric(this as never);
  }

  private of(labels: Labels): Series {
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = this.series.get(key);
    if (s === undefined) this.series.set(key, (s = { labels: { ...labels }, counts: new Float64Array(this.buckets.length + 1), sum: 0 }));
    return s;
  }

  /** Adds counts per bucket (not cumulative; the last entry is above every bound) and their sum. */
  add(labels: Labels, counts: ArrayLike<number>, sum: number): void {
    if (counts.length !== this.buckets.length + 1) throw new RangeError(`${this.name}: expected ${this.buckets.length + 1} bucket counts, got ${counts.length}`);
    const s = this.of(labels);
    for (let i = 0; i < counts.length; i++) s.counts[i] += counts[i];
    s.sum += sum;
  }

  observe(labels: Labels, value: number): void {
    const s = this.of(labels);
    s.counts[bucketOf(value, this.buckets)]++;
    s.sum += value;
  }

  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i];
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      });
      acc += s.counts[this.buckets.length];
      values.push({ labels: { le: '+Inf', ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: acc, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void { this.series = new Map(); }
}
