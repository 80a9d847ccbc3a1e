import * as tf from '@tensorflow/tfjs-core';
import type { RepairModel, WeightMap } from './model';
import { fuse, repairTargets } from './repair';
import type { SiteStatistics } from './statistics';

/** Var((1−α)z_A + αz_B) for matched units of variances v_A, v_B and correlation ρ. */
function interpolatedVariance(varianceA: number, varianceB: number, rho: number, alpha: number): number {
  const [sa, sb] = [Math.sqrt(varianceA), Math.sqrt(varianceB)];
  return (1 - alpha) ** 2 * sa ** 2 + alpha ** 2 * sb ** 2 + 2 * alpha * (1 - alpha) * rho * sa * sb;
}

/**
 * Closed-form REPAIR (docs/papers.md §3.5): no pass through θ_α. A matched unit's
 * interpolated preactivation is modelled as z_α ≈ (1−α)z_A + αz_B, so from the
 * endpoints' statistics and the matched pairs' correlation ρ:
 *   mean_est = μ_α,  var_est = (1−α)²σ_A² + α²σ_B² + 2α(1−α)ρσ_Aσ_B,
 * and x → s·x + t with s = σ_α/√var_est, t = μ_α − s·mean_est, fused into the
 * producing layers. `correlations[site][i]` is ρ of channel i of A and the aligned
 * B's channel i (the diagonal of neuron-align's correlation after permuting).
 */
export function closedFormRepair(
  model: RepairModel,
  interpolated: WeightMap,
  statsA: Record<string, SiteStatistics>,
  statsB: Record<string, SiteStatistics>,
  correlations: Record<string, ArrayLike<number>>,
  alpha: number,
): ReturnType<typeof fuse> {
  const targets = repairTargets(statsA, statsB, alpha);
  return fuse(interpolated, model.sites, (site) => {
    const [a, b, rho, t] = [statsA[site]!, statsB[site]!, correlations[site]!, targets[site]!];
    const scale = t.std.map((std, i) => {
      const estimate = interpolatedVariance(a.variance[i]!, b.variance[i]!, rho[i]!, alpha);
      return estimate > 0 ? std / Math.sqrt(estimate) : 1;
    });
    return { scale, shift: t.mean.map((mu, i) => mu - scale[i]! * mu) };
  });
}

/**
 * Closed-form statistics for a BatchNorm network (the MLP notebook's variant,
 * docs/papers.md §3.5): instead of a pass through θ_α, each BN's running statistics are set
 * to the estimate for its interpolated input, mean μ_α and variance
 * (1−α)²σ_A² + α²σ_B² + 2α(1−α)ρσ_Aσ_B, from the endpoints' BN-input statistics
 * (`statsA[norm.input]`) and matched correlations. The BN then outputs roughly
 * its interpolated shift and scale, as after a reset. Returns the weights with new
 * buffer tensors (the caller owns them).
 */
export function closedFormBatchNorm(
  model: RepairModel,
  interpolated: WeightMap,
  statsA: Record<string, SiteStatistics>,
  statsB: Record<string, SiteStatistics>,
  correlations: Record<string, ArrayLike<number>>,
  alpha: number,
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = { ...interpolated };
  for (const norm of model.norms ?? []) {
    const [a, b, rho] = [statsA[norm.input]!, statsB[norm.input]!, correlations[norm.input]!];
    const variance = a.variance.map((va, i) => interpolatedVariance(va, b.variance[i]!, rho[i]!, alpha));
    out[norm.mean] = tf.tensor1d(Float32Array.from(a.mean, (m, i) => (1 - alpha) * m + alpha * b.mean[i]!));
    out[norm.variance] = tf.tensor1d(Float32Array.from(variance));
  }
  return out;
}
