// n8n's official ruleset for self-hosted community packages (@n8n/node-cli's configWithoutCloudSupport:
// eslint recommended, typescript-eslint recommended, @n8n/eslint-plugin-community-nodes without the n8n Cloud
// rules, import-x, nodes-base rules for nodes, credentials and package.json). `npm run lint` runs it over
// nodes/, credentials/, bin/ and package.json. Every exception is listed below with its reason; single-line
// exceptions sit beside their code as `eslint-disable-next-line <rule> -- <reason>`.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', '*.js', '*.mjs'] },
	...configWithoutCloudSupport,
	{
		files: ['package.json'],
		rules: {
			// The package needs @azure/msal-node (client certificates, refresh-token rotation, managed identity) and
			// @microsoft/microsoft-graph-client at run time, so it is a self-hosted, unverified community package that
			// n8n installs with its dependencies (docs/decisions.md, decision 6). This rule exists only to forbid that.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['bin/**/*.ts'],
		rules: {
			// The seed command is a terminal program that runs outside n8n (the package's `bin`): there is no node
			// to attach a NodeApiError to, and it reports errors to the terminal itself and exits with a status.
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
];
