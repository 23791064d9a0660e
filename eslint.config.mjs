// n8n's official ruleset for self-hosted community packages (@n8n/node-cli's configWithoutCloudSupport:
// eslint recommended, typescript-eslint recommended, @n8n/eslint-plugin-community-nodes without the n8n Cloud
// rules, import-x, nodes-base rules for nodes, credentials and package.json). Every exception is listed below
// with its reason.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', '*.js', '*.mjs'] },
	...configWithoutCloudSupport,
];
