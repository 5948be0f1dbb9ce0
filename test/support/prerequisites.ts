/**
 * Suites that need system packages (Neovim, Chromium, code-server): when one is missing the suite
 * prints `NOT RUN: <suite>: <what is missing and how to install it>` and is skipped locally; with
 * GRADLENS_E2E=required (CI, .ci/run installs everything) it fails instead.
 */
export function skipUnlessAvailable(ctx: Mocha.Context, suite: string, missing: string | null): void {
  if (missing === null) return;
  if (process.env.GRADLENS_E2E === "required") throw new Error(`${suite} required but cannot run: ${missing}`);
  console.log(`      NOT RUN: ${suite}: ${missing}`);
  ctx.skip(); // the reason is the line printed just above
}
