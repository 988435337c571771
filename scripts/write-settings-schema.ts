/**
 * `npm run schema`: writes usage-digest.schema.json from the settings' zod schema, so editors
 * validate usage-digest.config.json against the same rules synth does. A test keeps it current.
 */
import { writeFileSync } from 'node:fs';
import { SCHEMA_FILE, settingsJsonSchema } from '../infra/settings';

writeFileSync(SCHEMA_FILE, `${JSON.stringify(settingsJsonSchema(), null, 2)}\n`);
console.log(`wrote ${SCHEMA_FILE}`);
