// n8n's own rules for community nodes (@n8n/eslint-plugin-community-nodes) and for nodes-base style
// (eslint-plugin-n8n-nodes-base), over the package's TypeScript sources and package.json.
import tseslint from 'typescript-eslint';
import jsoncParser from 'jsonc-eslint-parser';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

const CLI = 'nodes/ScopedMailbox/cli/**';

export default tseslint.config(
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', '*.js', '*.mjs'] },
	{
		plugins: {
			'@n8n/community-nodes': n8nCommunityNodesPlugin,
			'n8n-nodes-base': n8nNodesBase,
			'@typescript-eslint': tseslint.plugin,
		},
	},
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: { sourceType: 'module' } },
		rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }] },
	},
	{ files: ['package.json'], languageOptions: { parser: jsoncParser } },
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
		// The seeding command is a terminal program that runs outside n8n (the package's `bin`): process, files
		// and timers are its interface, so n8n's in-workflow rules do not describe it.
		ignores: [CLI],
		rules: {
			...n8nCommunityNodesPlugin.configs.recommended.rules,
			// The one deliberate exception. The package needs @azure/msal-node (client certificates, refresh-token
			// rotation, managed identity) and @microsoft/microsoft-graph-client at run time, so it is a self-hosted,
			// unverified community package that n8n installs with its dependencies. These two rules exist only to
			// forbid runtime dependencies (the second forbids importing them); every other community rule stays on.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			'@n8n/community-nodes/no-restricted-imports': 'off',
		},
	},
	{ files: ['credentials/**/*.ts'], rules: { ...n8nNodesBase.configs.credentials.rules } },
	{ files: ['nodes/**/*.ts'], ignores: [CLI], rules: { ...n8nNodesBase.configs.nodes.rules } },
	{ files: ['package.json'], rules: { ...n8nNodesBase.configs.community.rules } },
);
