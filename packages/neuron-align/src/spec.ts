import { SpecError } from './errors';

// ---------------------------------------------------------------------------
// A permutation spec, as plain data (docs/papers.md §3.2–3.3)
// ---------------------------------------------------------------------------
//
// A permutation group is one set of channels that may be reordered without
// changing the network's function: the output channels of a layer (or of a whole
// residual stream) together with every place those channels are read. Each
// group lists every (parameter, axis) it permutes: producers' output axes
// (weights, biases, norm scale, shift and running statistics) and every
// consumer's input axis. tfjs layouts: conv kernels HWIO (outputs on axis 3,
// inputs on axis 2), dense kernels [in, out] (outputs on axis 1, inputs on 0).
// JSON-serialisable: no tensors, no functions.

export interface PermutationGroup {
  /** Number of channels. */
  size: number;
  /** The activation (a name the model's forward pass can return) whose channels are matched. */
  activation: string;
  /** Every tensor axis that runs over these channels. */
  axes: { parameter: string; axis: number }[];
}

export interface PermutationSpec {
  groups: Record<string, PermutationGroup>;
}

/** A permutation per group: perm[i] = the channel of B that becomes channel i. */
export type Permutations = Record<string, Int32Array>;

/**
 * Checks a spec against the weights' shapes before anything is permuted, and
 * names the first thing wrong: an unknown parameter, an axis out of range, an
 * axis whose size is not the group's, a parameter listed twice on one axis.
 * Returns the parameters no group touches (left as they are; often the input
 * layer's input axis or the head's output axis, sometimes a forgotten BN buffer).
 *
 * @throws SpecError naming the parameter and axis
 */
export function validateSpec(spec: PermutationSpec, shapes: Readonly<Record<string, readonly number[]>>): { untouched: string[] } {
  if (!spec || typeof spec.groups !== 'object') throw new SpecError('spec', null, `validateSpec: a spec is { groups: { name: { size, activation, axes: [{ parameter, axis }] } } }.`);
  const seen = new Map<string, string>();
  for (const [name, group] of Object.entries(spec.groups)) {
    if (!Number.isSafeInteger(group.size) || group.size < 1) throw new SpecError(name, null, `group '${name}': size must be a positive integer, not ${group.size}.`);
    for (const { parameter, axis } of group.axes) {
      const shape = shapes[parameter];
      if (!shape) throw new SpecError(parameter, axis, `group '${name}' names parameter '${parameter}', which the weights do not have.`);
      if (!Number.isSafeInteger(axis) || axis < 0 || axis >= shape.length) {
        throw new SpecError(parameter, axis, `group '${name}': '${parameter}' has shape [${shape.join(', ')}], no axis ${axis}.`);
      }
      if (shape[axis] !== group.size) {
        throw new SpecError(
          parameter,
          axis,
          `group '${name}' has ${group.size} channels, but axis ${axis} of '${parameter}' (shape [${shape.join(', ')}]) has ${shape[axis]}. tfjs conv kernels are HWIO (outputs on axis 3, inputs on axis 2); dense kernels are [in, out].`,
        );
      }
      const key = `${parameter}#${axis}`;
      const other = seen.get(key);
      if (other !== undefined) throw new SpecError(parameter, axis, `axis ${axis} of '${parameter}' is listed ${other === name ? 'twice in' : `in group '${other}' and in`} group '${name}'.`);
      seen.set(key, name);
    }
  }
  const touched = new Set([...seen.keys()].map((key) => key.slice(0, key.lastIndexOf('#'))));
  return { untouched: Object.keys(shapes).filter((p) => !touched.has(p)).sort() };
}

/** The identity permutation of every group. */
export function identityPermutations(spec: PermutationSpec): Permutations {
  return Object.fromEntries(Object.entries(spec.groups).map(([name, g]) => [name, Int32Array.from({ length: g.size }, (_, i) => i)]));
}
