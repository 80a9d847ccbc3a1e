/**
 * Lets timers, abort handlers and, in a browser, rendering run between steps.
 * Node has `setImmediate`; browsers do not, and a zero timeout does the same there.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
