import { join } from 'node:path';
import { PACKAGE_ROOT } from '../cli/root.ts';

/**
 * Where `npm run build:probe` puts the native probe: `build/nslife-probe` under the package root.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function probeBinaryPath(): string {
  return join(PACKAGE_ROOT, 'build', 'nslife-probe');
}
