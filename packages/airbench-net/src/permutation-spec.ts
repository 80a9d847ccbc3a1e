import { validateConfig, type AirbenchConfig } from './config';
import { convsPerBlock } from './network';

// ---------------------------------------------------------------------------
// Which channels of an airbench network can be reordered together (REPAIR,
// docs/papers.md §3.3), as plain data for @airbench-ts/neuron-align (this package does not
// import it: the shape below is all it needs to agree on).
// ---------------------------------------------------------------------------
//
// tfjs layouts: conv kernels HWIO, so a conv's output channels are axis 3 and its
// input channels axis 2; the head is [in, classes]. Max-pooling and GELU act per
// channel, so they move with their channels. Two-conv blocks (airbench94/95):
// every conv output is its own group. Three-conv residual blocks (airbench96):
// the block's stream (conv1's output, which conv3's output is added to) is one
// group; conv2's output is another.

export interface PermutationGroupSpec {
  size: number;
  /** The name `forward(…, { collect: true })` returns the matched activation under. */
  activation: string;
  axes: { parameter: string; axis: number }[];
}

export interface AirbenchPermutationSpec {
  groups: Record<string, PermutationGroupSpec>;
}

/** The permutation spec of a network of this config: every parameter and BN buffer axis each group runs over. */
export function permutationSpec(config: AirbenchConfig): AirbenchPermutationSpec {
  validateConfig(config);
  // A conv's output channels, with what follows it: BN shift and running statistics,
  // LN scale and shift, or (no norm) the conv's own bias.
  const following = {
    batch: (_conv: string, norm: string) => [`${norm}.bias`, `${norm}.runningMean`, `${norm}.runningVar`],
    layer: (_conv: string, norm: string) => [`${norm}.weight`, `${norm}.bias`],
    none: (conv: string) => [`${conv}.bias`],
  }[config.norm];
  const producer = (conv: string, norm: string) => [{ parameter: `${conv}.weight`, axis: 3 }, ...following(conv, norm).map((parameter) => ({ parameter, axis: 0 }))];
  const groups: Record<string, PermutationGroupSpec> = {
    whiten: {
      size: config.whiteningWidth,
      activation: 'whiten',
      axes: [
        { parameter: 'whiten.weight', axis: 3 },
        { parameter: 'whiten.bias', axis: 0 },
        { parameter: 'block1.conv1.weight', axis: 2 },
      ],
    },
  };
  const residual = convsPerBlock(config) === 3;
  config.widths.forEach((width, b) => {
    const p = `block${b + 1}`;
    const next = b + 1 < config.widths.length ? { parameter: `block${b + 2}.conv1.weight`, axis: 2 } : { parameter: 'head.weight', axis: 0 };
    if (!residual) {
      groups[`${p}.conv1`] = { size: width, activation: `${p}.norm1`, axes: [...producer(`${p}.conv1`, `${p}.norm1`), { parameter: `${p}.conv2.weight`, axis: 2 }] };
      groups[`${p}.conv2`] = { size: width, activation: `${p}.norm2`, axes: [...producer(`${p}.conv2`, `${p}.norm2`), next] };
    } else {
      groups[`${p}.stream`] = {
        size: width,
        activation: `${p}.out`,
        axes: [...producer(`${p}.conv1`, `${p}.norm1`), ...producer(`${p}.conv3`, `${p}.norm3`), { parameter: `${p}.conv2.weight`, axis: 2 }, next],
      };
      groups[`${p}.conv2`] = { size: width, activation: `${p}.norm2`, axes: [...producer(`${p}.conv2`, `${p}.norm2`), { parameter: `${p}.conv3.weight`, axis: 2 }] };
    }
  });
  return { groups };
}
