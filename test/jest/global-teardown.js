const { rmSync } = require('node:fs');

module.exports = async () => {
	const dir = process.env.SCOPED_MAILBOX_TMP;
	if (dir) rmSync(dir, { recursive: true, force: true });
};
