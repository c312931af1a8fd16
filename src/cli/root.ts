import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The package's root directory (examples/, test/fixtures/, build/ are found from here). @internal */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
