import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Global setup of the browser tests: Debian's Chromium must be there
// (scripts/setup-chromium.sh installs it on a fresh Debian machine, as root).
export default function setup(): void {
  execFileSync('bash', [fileURLToPath(new URL('../../../scripts/setup-chromium.sh', import.meta.url))], { stdio: 'inherit' });
}
