/** Global grad mode, as PyTorch's torch.no_grad / torch.enable_grad. */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(mode: boolean, fn: () => T, name: string): T {
  if (typeof fn !== "function") throw new TypeError(`${name}: expected a function to run, got ${typeof fn}`);
  const previous = enabled;
  enabled = mode;
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError(`${name}: the callback returned a Promise; grad mode is synchronous, so await inside the caller instead`);
    }
    return result;
  } finally {
    enabled = previous;
  }
}

/** Runs `fn` without recording operations for autograd. */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn, "noGrad");
}

/** Runs `fn` with autograd recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn, "enableGrad");
}

export function setGradEnabled(mode: boolean): void {
  enabled = mode;
}
