import * as tf from '@tensorflow/tfjs-core';
import type { ImageSplit } from '@airbench-ts/cifar-data';
import { checkEquivalence, CorrelationStatistics, permuteWeights, solveAssignment, weightMatching, type Permutations } from '@airbench-ts/neuron-align';
import {
  barriers,
  barrierReduction,
  ChannelStatistics,
  closedFormBatchNorm,
  closedFormRepair,
  interpolateWeights,
  measureSites,
  repair,
  resetBatchNorm,
  type Score,
  type SiteStatistics,
  type WeightMap,
} from '@airbench-ts/repair';
import { testBatches } from './data';
import type { ExampleModel } from '@airbench-ts-example/models';

// ---------------------------------------------------------------------------
// The REPAIR study of one pair of trained endpoints (docs/papers.md §3.1): align B to A,
// check the permutation kept B's function, then for every method score the
// interpolated network over the α grid, and measure variance collapse at α = ½.
// ---------------------------------------------------------------------------

export type Method = 'naive' | 'permuted' | 'permuted+resetBN' | 'permuted+REPAIR' | 'permuted+closedForm';

export interface MethodResult {
  method: Method;
  note?: string;
  curve: { alphas: number[]; accuracy: number[]; loss: number[] };
  /** At α = 0.5. */
  midpoint: Score;
  accuracyBarrier: number;
  lossBarrier: number;
}

export interface StudyResult {
  endpoints: { a: Score; b: Score };
  equivalence: { maxAbsDifference: number; maxAbsOutput: number };
  methods: MethodResult[];
  /** Per layer, at α = ½: mean channel variance of the midpoint over the endpoints' average (docs/papers.md §3.6). */
  varianceRatio: { layer: string; naive: number; permuted: number; repaired: number }[];
  /** 1 − B(permuted + REPAIR) / B(permuted), for the accuracy and the loss barrier. */
  /**
   * 1 − B(permuted + REPAIR) / B(permuted), per metric; null where the permuted barrier is not clear of
   * noise (accuracy: ≤ 2 standard errors of an accuracy on this test set; loss: ≤ 0.01), with `notes` saying why:
   * a ratio of a barrier that is noise (or negative) means nothing.
   */
  barrierReduction: { accuracy: number | null; loss: number | null; notes: string[] };
}

export interface StudyOptions {
  align: 'activations' | 'weights';
  alphas: number[];
  /** A fresh pass of augmented training batches per call: the statistics passes. */
  passes: () => Iterable<tf.Tensor>;
  test: ImageSplit;
  onProgress?: (what: string, done: number, total: number) => void;
  /** The endpoints' scores, when a study of the same endpoints already has them. */
  endpoints?: StudyResult['endpoints'];
}

/** Accuracy and mean cross-entropy on the test set, norms in eval mode. */
export async function score(model: ExampleModel, weights: WeightMap, test: ImageSplit): Promise<Score> {
  let [correct, loss] = [0, 0];
  for (const { inputs, labels } of testBatches(test)) {
    const [hits, sum] = tf.tidy(() => {
      const logits = model.forward(weights, inputs, { normalization: 'running' });
      const y = tf.cast(labels, 'int32');
      return [tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')), tf.mul(tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), logits), labels.shape[0])];
    });
    correct += (await hits.data())[0]!;
    loss += (await sum.data())[0]!;
    tf.dispose([hits, sum, inputs, labels]);
  }
  return { accuracy: correct / test.length, loss: loss / test.length };
}

/** The activations at `names` of one eval-mode forward pass (inside the caller's tf.tidy). */
function activationsAt(model: ExampleModel, weights: WeightMap, x: tf.Tensor, names: ReadonlySet<string>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  model.forward(weights, x, { normalization: 'running', at: (site, v) => (names.has(site) && (out[site] = v), v) });
  return out;
}

/** B's permutation onto A: activation matching (correlation + assignment per group, docs/papers.md §3.2) or weight matching. */
export function align(model: ExampleModel, a: WeightMap, b: WeightMap, how: StudyOptions['align'], passes: () => Iterable<tf.Tensor>): Permutations {
  if (how === 'weights') return weightMatching(model.spec, a, b).permutations;
  const groups = Object.entries(model.spec.groups);
  const wanted = new Set(groups.map(([, g]) => g.activation));
  const stats = new Map(groups.map(([name]) => [name, new CorrelationStatistics()]));
  for (const x of passes()) {
    tf.tidy(() => {
      const [actA, actB] = [activationsAt(model, a, x, wanted), activationsAt(model, b, x, wanted)];
      for (const [name, g] of groups) stats.get(name)!.add(actA[g.activation]!, actB[g.activation]!);
    });
    x.dispose();
  }
  return Object.fromEntries(groups.map(([name, g]) => [name, solveAssignment(stats.get(name)!.result().correlation, g.size)]));
}

/** Per-channel statistics of A and of the aligned B at the given names, and each matched pair's correlation ρ. */
function endpointStatistics(model: ExampleModel, a: WeightMap, b: WeightMap, names: string[], passes: () => Iterable<tf.Tensor>) {
  const wanted = new Set(names);
  const [statsA, statsB] = [new Map(names.map((n) => [n, new ChannelStatistics()])), new Map(names.map((n) => [n, new ChannelStatistics()]))];
  const correlation = new Map(names.map((n) => [n, new CorrelationStatistics('batch-std')]));
  for (const x of passes()) {
    tf.tidy(() => {
      const [actA, actB] = [activationsAt(model, a, x, wanted), activationsAt(model, b, x, wanted)];
      for (const n of names) {
        statsA.get(n)!.add(actA[n]!);
        statsB.get(n)!.add(actB[n]!);
        correlation.get(n)!.add(actA[n]!, actB[n]!);
      }
    });
    x.dispose();
  }
  const result = (m: Map<string, ChannelStatistics>) => Object.fromEntries([...m].map(([n, s]) => [n, s.result()])) as Record<string, SiteStatistics>;
  const rho = Object.fromEntries(
    names.map((n) => {
      const { correlation: r, channels } = correlation.get(n)!.result();
      return [n, Float64Array.from({ length: channels }, (_, i) => r[i * channels + i]!)];
    }),
  );
  return { a: result(statsA), b: result(statsB), rho };
}

export async function study(model: ExampleModel, a: WeightMap, b: WeightMap, options: StudyOptions): Promise<StudyResult> {
  const { alphas, passes, test } = options;
  const progress = options.onProgress ?? (() => {});
  const endpoints = options.endpoints ?? { a: await score(model, a, test), b: await score(model, b, test) };

  progress(`align (${options.align})`, 0, 1);
  const permutations = align(model, a, b, options.align, passes);
  const aligned = permuteWeights(b, model.spec, permutations);
  const first = testBatches(test, 500).batches(0).next().value!;
  const probe = first.inputs;
  first.labels.dispose();
  const equivalence = checkEquivalence((w, x) => model.forward(w, x, { normalization: 'running' }), b, aligned, probe);
  probe.dispose();
  if (!(equivalence.maxAbsDifference <= 1e-4 * Math.max(1, equivalence.maxAbsOutput))) {
    tf.dispose(Object.values(aligned));
    throw new Error(`${model.label}: the permuted B is not B (largest logit difference ${equivalence.maxAbsDifference} for outputs up to ${equivalence.maxAbsOutput}); the permutation spec misses an axis.`);
  }
  progress(`align (${options.align})`, 1, 1);

  const layers = model.sites.length ? model.sites.map((s) => s.name) : (model.norms ?? []).map((n) => n.input);
  progress('endpoint statistics', 0, 1);
  const stats = endpointStatistics(model, a, aligned, layers, passes);
  progress('endpoint statistics', 1, 1);
  const hasBatchNorm = (model.norms?.length ?? 0) > 0;
  const methods: { method: Method; note?: string; make: (alpha: number) => Promise<Record<string, tf.Tensor>> }[] = [
    { method: 'naive', make: async (alpha) => interpolateWeights(a, b, alpha) },
    { method: 'permuted', make: async (alpha) => interpolateWeights(a, aligned, alpha) },
  ];
  const owned = (from: Record<string, tf.Tensor>, result: Record<string, tf.Tensor>) => {
    // The result shares untouched tensors with `from`; free only what it replaced.
    tf.dispose(Object.entries(from).filter(([name, t]) => result[name] !== t).map(([, t]) => t));
    return result;
  };
  const resetBN = async (alpha: number) => {
    const mid = interpolateWeights(a, aligned, alpha);
    return owned(mid, await resetBatchNorm(model, mid, passes()));
  };
  if (hasBatchNorm) {
    methods.push({ method: 'permuted+resetBN', make: resetBN });
    methods.push({ method: 'permuted+REPAIR', note: 'for a BN network REPAIR is the BN reset (docs/papers.md §3.4)', make: resetBN });
    methods.push({ method: 'permuted+closedForm', note: 'BN statistics set to the closed-form estimate', make: async (alpha) => { const mid = interpolateWeights(a, aligned, alpha); return owned(mid, closedFormBatchNorm(model, mid, stats.a, stats.b, stats.rho, alpha)); } });
  } else {
    methods.push({ method: 'permuted+REPAIR', make: async (alpha) => { const mid = interpolateWeights(a, aligned, alpha); return owned(mid, await repair(model, { a, b: aligned }, mid, alpha, passes, { statistics: stats })); } });
    methods.push({ method: 'permuted+closedForm', make: async (alpha) => { const mid = interpolateWeights(a, aligned, alpha); return owned(mid, closedFormRepair(model, mid, stats.a, stats.b, stats.rho, alpha)); } });
  }

  // Free what a method built, not the endpoints it shares tensors with.
  const disposeBuilt = (weights: Record<string, tf.Tensor>) =>
    tf.dispose(Object.entries(weights).filter(([name, t]) => a[name] !== t && aligned[name] !== t && b[name] !== t).map(([, t]) => t));
  const results: MethodResult[] = [];
  const total = methods.length * alphas.length;
  let done = 0;
  const cache = new Map<string, Score>();
  for (const { method, note, make } of methods) {
    const curve = { alphas: [...alphas], accuracy: [] as number[], loss: [] as number[] };
    for (const alpha of alphas) {
      progress('α grid', done, total);
      // REPAIR of a BN network is its BN reset: scored once.
      const key = method === 'permuted+REPAIR' && hasBatchNorm ? `permuted+resetBN@${alpha}` : `${method}@${alpha}`;
      let s = cache.get(key);
      if (!s) {
        const weights = await make(alpha);
        s = await score(model, weights, test);
        disposeBuilt(weights);
        cache.set(key, s);
      }
      curve.accuracy.push(s.accuracy);
      curve.loss.push(s.loss);
      done += 1;
    }
    progress('α grid', done, total);
    const midpoint = cache.get(method === 'permuted+REPAIR' && hasBatchNorm ? 'permuted+resetBN@0.5' : `${method}@0.5`)!;
    results.push({ method, ...(note ? { note } : {}), curve, midpoint, ...barriers(endpoints.a, endpoints.b, midpoint) });
  }

  // Variance collapse at α = ½: naive and permuted midpoints, and the repaired one, against the endpoints.
  progress('variance collapse', 0, 3);
  const meanVariance = (s: SiteStatistics) => s.variance.reduce((x, v) => x + v, 0) / s.variance.length;
  const ratioAt = async (weights: Record<string, tf.Tensor>) => {
    const mid = await measureSites(model, weights, passes(), layers, 'running');
    disposeBuilt(weights);
    return Object.fromEntries(layers.map((n) => [n, meanVariance(mid[n]!) / ((meanVariance(stats.a[n]!) + meanVariance(stats.b[n]!)) / 2)]));
  };
  const naive = await ratioAt(interpolateWeights(a, b, 0.5));
  progress('variance collapse', 1, 3);
  const permuted = await ratioAt(interpolateWeights(a, aligned, 0.5));
  progress('variance collapse', 2, 3);
  const repaired = await ratioAt(await methods.find((m) => m.method === 'permuted+REPAIR')!.make(0.5));
  progress('variance collapse', 3, 3);
  tf.dispose(Object.values(aligned));

  const find = (m: Method) => results.find((r) => r.method === m)!;
  return {
    endpoints,
    equivalence,
    methods: results,
    varianceRatio: layers.map((layer) => ({ layer, naive: naive[layer]!, permuted: permuted[layer]!, repaired: repaired[layer]! })),
    barrierReduction: barrierReductions(find('permuted'), find('permuted+REPAIR'), (endpoints.a.accuracy + endpoints.b.accuracy) / 2, options.test.length),
  };
}

/** The relative barrier reductions, where the permuted barrier they divide by is clear of noise. */
export function barrierReductions(permuted: MethodResult, repaired: MethodResult, accuracy: number, testImages: number): StudyResult['barrierReduction'] {
  const notes: string[] = [];
  const twoSe = 2 * Math.sqrt((accuracy * (1 - accuracy)) / testImages);
  const pp = (x: number) => `${(x * 100).toFixed(2)} pp`;
  let accuracyReduction: number | null = barrierReduction(permuted.accuracyBarrier, repaired.accuracyBarrier);
  if (!(permuted.accuracyBarrier > twoSe)) {
    accuracyReduction = null;
    notes.push(`accuracy: the permuted barrier, ${pp(permuted.accuracyBarrier)}, is not clear of noise (2 standard errors of an accuracy on ${testImages} test images: ${pp(twoSe)}), so no reduction is given`);
  }
  let lossReduction: number | null = barrierReduction(permuted.lossBarrier, repaired.lossBarrier);
  if (!(permuted.lossBarrier > 0.01)) {
    lossReduction = null;
    notes.push(`loss: the permuted barrier, ${permuted.lossBarrier.toFixed(3)}, is not above 0.01, so no reduction is given`);
  }
  return { accuracy: accuracyReduction, loss: lossReduction, notes };
}
