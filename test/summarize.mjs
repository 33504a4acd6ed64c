// Prints one closing line for the whole run ("N passed, N failed, N skipped") from the JSON
// reports that `npm test` writes under test-results/.
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
const vitest = "test-results/vitest.json";
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, "utf8"));
  passed += r.numPassedTests ?? 0;
  // A test file that fails to load has no failed test of its own: count it once.
  failed += (r.numFailedTests ?? 0) || (r.numFailedTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
const pw = "test-results/playwright.json";
if (existsSync(pw)) {
  const r = JSON.parse(readFileSync(pw, "utf8"));
  passed += r.stats?.expected ?? 0;
  failed += r.stats?.unexpected ?? 0;
  skipped += r.stats?.skipped ?? 0;
}
// A step that failed outside a test runner (lint, the boundary check) counts as one failure.
const failedSteps = Number(process.env.FAILED_STEPS ?? 0);
if (failedSteps > 0 && failed === 0) failed = failedSteps;
console.log("");
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
