import type * as tf from '@tensorflow/tfjs-core';
import { batchNormConstants, bnAttrs, run, withScratch, type NativeBackend } from '../binding';
import { NATIVE_BACKEND } from '../backend-name';

/** Training-mode BatchNorm (FusedBatchNormV3) with the scale fixed at 1, and its gradient. */
export const batchNormKernels: tf.KernelConfig[] = [
  {
    // Training-mode BatchNorm with the scale fixed at 1: [y, batch mean, biased batch variance].
    kernelName: 'AirbenchBatchNormTraining',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { x, offset } = inputs as { x: tf.TensorInfo; offset: tf.TensorInfo };
      return withScratch(native, (scratch) => {
        const [xId, offsetId] = native.getInputTensorIds([x, offset]);
        const { ones, empty } = batchNormConstants(native, x.shape[3]!, scratch);
        const [y, batchMean, batchVar, mean, variance, reserve] = run(native, 'FusedBatchNormV3', bnAttrs(native, attrs!, true), [xId!, ones, offsetId!, empty, empty], 6);
        // batchVar is Bessel-corrected (for running averages); reserve space 2 is the biased one y used.
        scratch.push(batchMean!.id, batchVar!.id, reserve!.id);
        return [y!, mean!, variance!].map((m) => native.createOutputTensor(m));
      });
    },
  },
  {
    // [dx, doffset] of the above, from dy, x and the saved batch statistics.
    kernelName: 'AirbenchBatchNormTrainingGrad',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { dy, x, mean, variance } = inputs as Record<'dy' | 'x' | 'mean' | 'variance', tf.TensorInfo>;
      return withScratch(native, (scratch) => {
        const [dyId, xId, meanId, varId] = native.getInputTensorIds([dy, x, mean, variance]);
        const { ones, empty } = batchNormConstants(native, x.shape[3]!, scratch);
        const [dx, dScale, dOffset, r4, r5] = run(native, 'FusedBatchNormGradV3', bnAttrs(native, attrs!, false), [dyId!, xId!, ones, meanId!, varId!, empty], 5);
        scratch.push(dScale!.id, r4!.id, r5!.id);
        return [native.createOutputTensor(dx!), native.createOutputTensor(dOffset!)];
      });
    },
  },
];
