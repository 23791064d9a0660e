/**
 * One temp folder per jest run, for the n8n user folders the harness makes (binary data of large-attachment
 * tests included). Jest ends its workers without running their exit handlers, so they cannot clean up after
 * themselves; the teardown removes the whole folder instead. Workers inherit the variable.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
	process.env.SCOPED_MAILBOX_TMP = mkdtempSync(join(tmpdir(), 'scoped-mailbox-run-'));
};
