// Points this clone's git at tools/workspace-checks/hooks (commit-msg checks the subject's length). Run by the
// root `prepare` script; does nothing outside a git work tree (an unpacked tarball, a CI cache).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
try {
  const inside = execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  if (inside.trim() === 'true')
    execFileSync('git', ['config', 'core.hooksPath', 'tools/workspace-checks/hooks'], { cwd: root, stdio: 'pipe' });
} catch (error) {
  // No git, or not a git checkout: there are no commits to check here.
  if (process.env.LLMBENCH_DEBUG) console.error(error);
}
