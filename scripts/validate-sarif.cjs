// Validates SARIF files against the SARIF 2.1.0 JSON schema (the copy in
// @microsoft/jest-sarif), with ajv: what GitHub code scanning checks first.
// Usage: node scripts/validate-sarif.cjs FILE...  (exit 1 when one is invalid)
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

const root = path.join(__dirname, '..');
const schemaFile = path.join(root, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
delete schema.$schema; // draft-04: ajv 6 takes it through schemaId 'auto'
const ajv = new Ajv({ schemaId: 'auto', allErrors: true, unknownFormats: 'ignore' });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
const validate = ajv.compile(schema);

let failed = false;
for (const file of process.argv.slice(2)) {
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (validate(log)) {
    console.log(`${file}: valid SARIF 2.1.0`);
  } else {
    failed = true;
    console.error(`${file}: invalid SARIF 2.1.0`);
    for (const e of validate.errors) console.error(`  ${e.dataPath || '(root)'}: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
