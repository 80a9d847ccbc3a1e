import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors';
import type { CorrectionSite, RepairModel, WeightMap } from './model';
import { measureSites, type SiteStatistics } from './statistics';

// ---------------------------------------------------------------------------
// REPAIR proper (docs/papers.md §3.5): give every correction site of the interpolated
// network the mean and std the endpoints' interpolation would have, then fold
// the correction into the producing layer so the architecture is unchanged.
// ---------------------------------------------------------------------------

const EPS = 1e-5;

/** The goal at each site: μ_α = (1−α)μ_A + αμ_B and σ_α = (1−α)σ_A + ασ_B (stds, not variances, are interpolated). */
export function repairTargets(statsA: Record<string, SiteStatistics>, statsB: Record<string, SiteStatistics>, alpha: number): Record<string, { mean: Float64Array; std: Float64Array }> {
  return Object.fromEntries(
    Object.keys(statsA).map((site) => {
      const [a, b] = [statsA[site]!, statsB[site]!];
      return [site, { mean: a.mean.map((m, i) => (1 - alpha) * m + alpha * b.mean[i]!), std: a.variance.map((v, i) => (1 - alpha) * Math.sqrt(v) + alpha * Math.sqrt(b.variance[i]!)) }];
    }),
  );
}

/**
 * Steps 1–4 of REPAIR with a forward pass: endpoint statistics at every site
 * (A and aligned B, eval mode), targets at α, then one pass through θ_α in train
 * mode where each site is normalised with its batch statistics and set to its
 * target (so downstream sites are measured with upstream corrections active),
 * recording the interpolated net's own mean m and variance v; finally each site's
 * correction y = σ_α(x − m)/√(v + ε) + μ_α is fused into its producing layer:
 * a = σ_α/√(v + ε), W' = a·W, b' = μ_α + a·(b − m). Returns the fused weights
 * (new tensors for the corrected layers; a bias is added where there was none
 * under the name `${site}.repairBias`, which the model's forward must add).
 * `batches()` yields a fresh pass of training batches each time it is called.
 * The endpoints' statistics do not depend on α: a caller repairing at many α
 * measures them once (`measureSites(model, a, batches, siteNames, 'running')`)
 * and passes them as `options.statistics` instead of two more passes each time.
 */
export async function repair(
  model: RepairModel,
  endpoints: { a: WeightMap; b: WeightMap },
  interpolated: WeightMap,
  alpha: number,
  batches: () => Iterable<tf.Tensor> | AsyncIterable<tf.Tensor>,
  options: { statistics?: { a: Record<string, SiteStatistics>; b: Record<string, SiteStatistics> } } = {},
): Promise<Record<string, tf.Tensor>> {
  const names = model.sites.map((s) => s.name);
  const statsA = options.statistics?.a ?? (await measureSites(model, endpoints.a, batches(), names, 'running'));
  const statsB = options.statistics?.b ?? (await measureSites(model, endpoints.b, batches(), names, 'running'));
  const missing = names.filter((n) => !statsA[n] || !statsB[n]);
  if (missing.length) throw new InvalidArgumentError('statistics', `repair: the endpoint statistics have no entry for site(s) ${missing.join(', ')}.`);
  const targets = repairTargets(statsA, statsB, alpha);
  const goal = Object.fromEntries(Object.entries(targets).map(([site, t]) => [site, { mean: tf.tensor1d(Float32Array.from(t.mean)), std: tf.tensor1d(Float32Array.from(t.std)) }]));
  try {
    const measured = await measureSites(model, interpolated, batches(), names, 'batch', (site, x, stats) => {
      // As a train-mode BatchNorm: normalised with the batch's (biased) statistics, set to the goal;
      // the running estimate it records is the average of the batches' means and unbiased variances.
      const { mean, variance } = stats.add(x);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), goal[site]!.std), goal[site]!.mean);
    });
    return fuse(interpolated, model.sites, (site) => {
      const t = targets[site]!;
      const m = measured[site]!;
      const scale = t.std.map((s, i) => s / Math.sqrt(m.variance[i]! + EPS));
      return { scale, shift: t.mean.map((mu, i) => mu - scale[i]! * m.mean[i]!) };
    });
  } finally {
    tf.dispose(Object.values(goal).flatMap((g) => [g.mean, g.std]));
  }
}

/**
 * Folds x → scale·x + shift at every site into its producing layer:
 * W' = scale·W along the output axis, b' = scale·b + shift.
 */
export function fuse(weights: WeightMap, sites: readonly CorrectionSite[], affine: (site: string) => { scale: Float64Array; shift: Float64Array }): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = { ...weights };
  for (const site of sites) {
    const { scale, shift } = affine(site.name);
    const w = weights[site.weight];
    if (!w) throw new InvalidArgumentError('sites', `repair: site '${site.name}' names weight '${site.weight}', which the weights do not have.`);
    const channels = w.shape[site.axis];
    if (channels !== scale.length) throw new InvalidArgumentError('sites', `repair: site '${site.name}' has ${scale.length} channels, but axis ${site.axis} of '${site.weight}' has ${channels}.`);
    out[site.weight] = tf.tidy(() => {
      const shape = w.shape.map((_, k) => (k === site.axis ? channels : 1));
      return tf.mul(w, tf.reshape(tf.tensor1d(Float32Array.from(scale)), shape));
    });
    const biasName = site.bias ?? `${site.name}.repairBias`;
    const bias = site.bias ? weights[site.bias] : undefined;
    out[biasName] = tf.tidy(() => {
      const s = tf.tensor1d(Float32Array.from(scale));
      const t = tf.tensor1d(Float32Array.from(shift));
      return bias ? tf.add(tf.mul(bias, s), t) : t;
    });
  }
  return out;
}
