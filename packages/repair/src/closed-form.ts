import type { RepairModel, WeightMap } from './model';
import { fuse, repairTargets } from './repair';
import type { SiteStatistics } from './statistics';

/**
 * Closed-form REPAIR (SPEC §3.5): no pass through θ_α. A matched unit's
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
      const [sa, sb] = [Math.sqrt(a.variance[i]!), Math.sqrt(b.variance[i]!)];
      const estimate = (1 - alpha) ** 2 * sa ** 2 + alpha ** 2 * sb ** 2 + 2 * alpha * (1 - alpha) * rho[i]! * sa * sb;
      return estimate > 0 ? std / Math.sqrt(estimate) : 1;
    });
    return { scale, shift: t.mean.map((mu, i) => mu - scale[i]! * mu) };
  });
}
