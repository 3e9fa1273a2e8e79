// Writes scenarios/scenario.schema.json from the one description of the scenario file
// (src/scenario/schema.ts, which the validator reads too). Run by `npm run schema` after a change
// to the scenario's fields; test/scenario/schema.test.ts fails while the file is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioSchemaText, SCHEMA_FILE } from '../dist/scenario/schema.js';
import { scenariosDir } from '../dist/util/paths.js';

const file = join(scenariosDir, SCHEMA_FILE);
writeFileSync(file, scenarioSchemaText());
process.stderr.write(`wrote ${file}\n`);
