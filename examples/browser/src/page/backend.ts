// The best backend this browser offers: WebGPU, then WebGL, then plain JS.
// The packages never pick one; the page does, as a user's app would.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradients; the `@tensorflow/tfjs` bundle (and tfjs-node)
// register them. A page that trains with just core and a backend does it itself.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';

export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

/**
 * Sets the first backend of `order` that initialises here (`?backend=cpu` in
 * the page's address forces one) and returns its name with what was tried.
 */
export async function pickBackend(order: readonly string[] = BROWSER_BACKENDS): Promise<{ name: string; tried: string[] }> {
  const tried: string[] = [];
  for (const name of order) {
    if (!(BROWSER_BACKENDS as readonly string[]).includes(name)) throw new Error(`backend '${name}' is not one of ${BROWSER_BACKENDS.join(', ')}; fix ?backend= in the address.`);
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        // Shapes as uniforms: one compiled WebGL program per op instead of one per op and shape. Compiling is
        // the slow part of a short run, and very slow on a software GPU (SwiftShader).
        if (name === 'webgl') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
        return { name, tried };
      }
    } catch {
      // A backend whose set-up throws (no adapter, no GL context) is just unavailable.
    }
    tried.push(name);
  }
  throw new Error(`none of the backends ${order.join(', ')} initialised in this browser.`);
}

/**
 * Images per evaluation batch. WebGL keeps freed textures for reuse; on a
 * software renderer (headless Chromium's SwiftShader) they live in the GPU
 * process's RAM, which reached 1.7 GB with batches of 500 (and 7 GB when told
 * to delete them instead: the allocator kept the pages). Small batches keep
 * every texture small.
 */
export const EVAL_BATCH = 100;
