/** Asks `locator` where it was called from, through `depth` nested frames of this file (frames the Locator is told are the tool's own). */
export function nested<T>(depth: number, locator: { here(): T }): T {
  return depth <= 0 ? locator.here() : nested(depth - 1, locator);
}
