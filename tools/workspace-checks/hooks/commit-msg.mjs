// Refuses a commit whose subject (its first line that is not a git comment) is empty or longer
// than 72 characters, so `git log --oneline` and review tools show every subject whole.
// Git runs it through ./commit-msg; `npm ci` / `npm install` point git here (install.mjs).
import { readFileSync } from 'node:fs';

const MAX_SUBJECT = 72;

const text = readFileSync(process.argv[2], 'utf8');
const subject = text.split('\n').find((line) => !line.startsWith('#')) ?? '';
const length = [...subject].length;
if (subject.trim() === '') {
  process.stderr.write('commit-msg: the subject (first line) is empty\n');
  process.exit(1);
}
if (length > MAX_SUBJECT) {
  process.stderr.write(
    `commit-msg: the subject is ${length} characters, at most ${MAX_SUBJECT}:\n  ${subject}\n` +
      `Shorten it and put the detail in the body (after a blank line). The message was kept in ${process.argv[2]}.\n`,
  );
  process.exit(1);
}
