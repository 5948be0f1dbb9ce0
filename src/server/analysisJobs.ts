/** The analysis as worker jobs: what `AnalysisWorker.run(kind, ...)` runs on the worker thread. */
import { explainText, fixText, lintText, loadPython } from "../analysis/lint";
import type { AnalysisJobs } from "./analysisWorker";

export const ANALYSIS_JOBS: AnalysisJobs = {
  lint: lintText,
  // Only the text crosses back: the LintResult of the last pass isn't needed by the editor.
  fix: (text, file, options) => {
    const fixed = fixText(text, file, options);
    return { text: fixed.text, applied: fixed.applied };
  },
  explain: explainText,
  prepare: loadPython,
};
